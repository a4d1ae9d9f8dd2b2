import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { encodeLogs } from '../../pdata/proto.js';
import type { Logger } from '../../telemetry/logger.js';
import { redact } from '../../telemetry/secrets.js';
import { HttpClient } from '../helper/http-client.js';
import { classifyHttpFailure, classifyNetworkError } from '../helper/classify.js';
import { permanent, success, type ExportRequest, type LogsSender, type SendResult } from '../helper/sender.js';
import { flattenRecords, packBySize, regroupRecords, sendInBatches, type BatchOutcome, type BatchesOutcome } from '../helper/split.js';
import { datadogLogsUrl, type DatadogConfig } from './config.js';
import type { MappingOptions } from './mapping.js';
import { JsonBytes } from './json-bytes.js';
import { MAX_ITEMS_PER_REQUEST, MAX_REQUEST_BYTES } from './payload.js';
import { batchBody, SEPARATOR_BYTES, type WireEntries, type WireEntry } from './entry-buffer.js';
import { datadogEntriesFromWire } from './wire-entries.js';

const gzipAsync = promisify(gzip);

/** Datadog's logs intake answers 202 Accepted; any 2xx is taken as delivered. */
const HTTP_PAYLOAD_TOO_LARGE = 413;
/** How much of an error body goes into a reason: enough for Datadog's `{"errors":[…]}`. */
const MAX_REASON_BODY_CHARS = 300;
/** Datadog answers `{}` or a short `{"errors":[…]}`; a runaway answer is cut here. */
const MAX_RESPONSE_BYTES = 64 * 1024;
/**
 * Entry buffers kept for reuse between sends: one per concurrent send is enough (the queue's
 * consumers); more are allocated when needed and dropped on return. A buffer that grew past
 * MAX_POOLED_BYTES (a request with huge records) is not kept.
 */
const MAX_POOLED_WRITERS = 16;
const MAX_POOLED_BYTES = 8 * 1024 * 1024;

export interface DatadogSenderOptions {
  config: Pick<DatadogConfig, 'api' | 'logs' | 'hostname' | 'tags' | 'tls' | 'proxy_url'>;
  /** Names the exporter in errors. */
  id?: string;
  logger: Logger;
  /** For tests; the exporter's HTTP client (its `tls` and `proxy_url`) otherwise. */
  fetch?: typeof fetch;
}

/**
 * Sends one queued request to the Datadog Logs API v2 as as many POSTs as its limits need
 * (≤ 1000 entries and ≤ 5 MB uncompressed each). Entries above 1 MB get their message cut
 * (payload.ts); an entry that cannot be made to fit, or that Datadog refuses with 413 on its own,
 * is handed back for the dead-letter store while the rest is delivered.
 */
export class DatadogLogsSender implements LogsSender {
  private readonly url: string;
  private readonly apiKey: string;
  private readonly mapping: MappingOptions;
  private readonly http: HttpClient;
  private readonly writers: JsonBytes[] = [];

  constructor(private readonly options: DatadogSenderOptions) {
    const { config } = options;
    this.url = datadogLogsUrl(config);
    this.apiKey = config.api.key;
    this.mapping = { source: config.logs.source, hostname: config.hostname, tags: config.tags };
    this.http = new HttpClient(config, `exporters.${options.id ?? 'datadog'}`);
  }

  /** Reads the `tls` files now, so a wrong path fails the start, not every send. */
  async start(): Promise<void> {
    await this.http.start();
  }

  async shutdown(): Promise<void> {
    await this.http.close();
  }

  /** `send` reads only the queued bytes (wire-entries.ts), so the in-memory queue need not keep the decoded request. */
  readonly sendsBytes = true;

  async send(request: ExportRequest, signal: AbortSignal): Promise<SendResult> {
    if (request.records === 0) return success();
    const writer = this.writers.pop() ?? new JsonBytes();
    let outcome: BatchesOutcome<WireEntry> | undefined;
    let walked: WireEntries | undefined;
    try {
      walked = datadogEntriesFromWire(protobufOf(request), this.mapping, writer);
      if (walked.records === 0) return success();
      const { batches } = packBySize(walked.entries, (e) => e.bytes, {
        maxItems: MAX_ITEMS_PER_REQUEST,
        maxBytes: MAX_REQUEST_BYTES,
        baseBytes: 2, // "[" and "]"
        separatorBytes: SEPARATOR_BYTES, // ", " (batchBody sends entries in place)
      });
      const entries = walked;
      outcome = await sendInBatches(batches, (batch) => this.post(entries, batch, signal));
    } finally {
      // Bodies are slices of the writer's buffer. Only after every POST was accepted is it certain
      // that the server read them whole and nothing still holds them (a server may answer an
      // error before reading the body): otherwise the buffer is left to the garbage collector.
      const lent = walked !== undefined && walked.lent.length > 0;
      const clean = !lent || (outcome !== undefined && !outcome.failure && outcome.tooLarge.length === 0);
      if (clean && this.writers.length < MAX_POOLED_WRITERS && writer.buf.length <= MAX_POOLED_BYTES) this.writers.push(writer);
    }
    if (outcome.failure) return outcome.failure;
    const { unfit, records } = walked!;

    const rejectedAt = [...unfit, ...outcome.tooLarge.map((e) => e.index)];
    if (rejectedAt.length === 0) return success();
    const reason =
      unfit.length > 0
        ? `${rejectedAt.length} log record(s) exceed Datadog's 1 MB per-log limit even with an empty message`
        : `${rejectedAt.length} log record(s) refused as too large by Datadog: ${outcome.tooLargeReason ?? 'HTTP 413'}`;
    if (rejectedAt.length === records) return permanent(reason);
    this.options.logger.warn('datadog: log records can never be accepted; dead-lettering them', { records: rejectedAt.length });
    // Rare: only now is the request decoded, to hand the refused records back by position.
    const refs = flattenRecords(request.logs());
    return success(rejectedAt.length, reason, regroupRecords(rejectedAt.sort((a, b) => a - b).map((i) => refs[i]!)));
  }

  private async post(walked: WireEntries, batch: readonly WireEntry[], signal: AbortSignal): Promise<BatchOutcome> {
    const { logs } = this.options.config;
    const json = batchBody(walked, batch);
    const body = logs.use_compression ? await gzipAsync(json, { level: logs.compression_level }) : json;
    const headers: Record<string, string> = { 'Content-Type': 'application/json', 'DD-API-KEY': this.apiKey };
    if (logs.use_compression) headers['Content-Encoding'] = 'gzip';
    let status: number;
    let responseHeaders: Headers;
    let text: string;
    try {
      if (this.options.fetch) {
        const response = await this.options.fetch(this.url, { method: 'POST', headers, body, signal });
        status = response.status;
        responseHeaders = response.headers;
        text = await response.text().catch(() => '');
      } else {
        // undici's request, not fetch: WHATWG fetch's Request/Response/stream objects cost more
        // per call than building the entries (BENCHMARKS.md, issue 23).
        const res = await this.http.post(this.url, { headers, body, signal, maxResponseBytes: MAX_RESPONSE_BYTES });
        status = res.status;
        responseHeaders = res.headers;
        text = res.body.toString('utf8');
      }
    } catch (err) {
      return this.scrub(classifyNetworkError(err));
    }
    if (status >= 200 && status < 300) return success();
    if (status === HTTP_PAYLOAD_TOO_LARGE) return { kind: 'too_large', reason: this.scrubText(`HTTP 413: ${text.slice(0, MAX_REASON_BODY_CHARS)}`) };
    return this.scrub(classifyHttpFailure(status, responseHeaders, text, 'vendor'));
  }

  /** Reasons end up in logs and the dead-letter store: make sure the key cannot. */
  private scrub(result: SendResult): SendResult {
    return result.kind === 'success' ? result : { ...result, reason: this.scrubText(result.reason) };
  }

  private scrubText(text: string): string {
    return redact(text).split(this.apiKey).join('[REDACTED]');
  }
}

/**
 * The queued bytes. A request built by hand with records only (a sender driven directly, not
 * through the exporter helper, whose requests always carry their bytes) is encoded from them.
 */
function protobufOf(request: ExportRequest): Uint8Array {
  try {
    return request.bytes();
  } catch {
    return encodeLogs(request.logs());
  }
}
