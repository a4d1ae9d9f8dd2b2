import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { Logs, LogRecord } from '../../pdata/model.js';
import { decodeExportResponse, encodeLogs } from '../../pdata/proto.js';
import type { Logger } from '../../telemetry/logger.js';
import { redact } from '../../telemetry/secrets.js';
import { HttpClient } from '../helper/http-client.js';
import { classifyHttpFailure, classifyNetworkError } from '../helper/classify.js';
import { permanent, success, type ExportRequest, type LogsSender, type SendResult } from '../helper/sender.js';
import { flattenRecords, packBySize, regroupRecords, sendInBatches, type BatchOutcome, type RecordRef } from '../helper/split.js';
import { newrelicUrl, type NewRelicConfig } from './config.js';
import { splitByResource, type Signal } from '../../pdata/signal.js';

const gzipAsync = promisify(gzip);

/**
 * New Relic refuses OTLP payloads above 1 MB (10^6 bytes) with 413. The limit is on the body sent
 * (compressed when gzip is on); we build requests that stay under it uncompressed as well, so a
 * request fits whichever way New Relic measures. Only a record too big to go alone even
 * compressed is given up on.
 */
export const MAX_REQUEST_BYTES = 1_000_000;
/**
 * Resource and scope envelopes are repeated in every split request; we reserve room for them up
 * to this share of the limit. Beyond it a request that measures too big is halved (rare: it needs
 * hundreds of kilobytes of resource attributes).
 */
const MAX_ENVELOPE_SHARE = 0.25;
const HTTP_PAYLOAD_TOO_LARGE = 413;
const MAX_REASON_BODY_CHARS = 300;

export interface NewRelicSenderOptions {
  config: Pick<NewRelicConfig, 'api_key' | 'region' | 'endpoint' | 'compression' | 'tls' | 'proxy_url'>;
  /** Names the exporter in errors. */
  id?: string;
  logger: Logger;
  fetch?: typeof fetch;
  /** The signal posted (logs when absent). */
  signal?: Signal;
}

/**
 * OTLP/HTTP protobuf to New Relic. A request that fits is forwarded as the queue stored it (no
 * decode); a bigger one is split by records into requests under the limit.
 */
export class NewRelicLogsSender implements LogsSender {
  private readonly url: string;
  private readonly apiKey: string;
  private readonly fetchFn: typeof fetch;
  private readonly http: HttpClient;

  constructor(private readonly options: NewRelicSenderOptions) {
    this.url = newrelicUrl(options.config, options.signal ?? 'logs');
    this.apiKey = options.config.api_key;
    this.http = new HttpClient(options.config, `exporters.${options.id ?? 'newrelic'}`);
    this.fetchFn = options.fetch ?? this.http.fetch;
  }

  /** Reads the `tls` files now, so a wrong path fails the start, not every send. */
  async start(): Promise<void> {
    await this.http.start();
  }

  async shutdown(): Promise<void> {
    await this.http.close();
  }

  async send(request: ExportRequest, signal: AbortSignal): Promise<SendResult> {
    if (request.records === 0) return success();
    if (request.signal) return this.sendSignal(request.signal, request.bytes(), signal);
    const whole = request.bytes();
    if (whole.length <= MAX_REQUEST_BYTES) {
      const outcome = await this.post(whole, signal);
      if (outcome.kind !== 'too_large') return outcome;
    }
    return this.sendSplit(request.logs(), signal);
  }

  /**
   * Traces and metrics stay bytes: a request above the limit is cut between its resources
   * (splitByResource), each part sent in order; one resource alone above the limit can never be
   * accepted and fails the request for good (it is dead-lettered with the reason).
   */
  private async sendSignal(kind: Signal, bytes: Uint8Array, signal: AbortSignal): Promise<SendResult> {
    let rejected = 0;
    for (const part of splitByResource(bytes, MAX_REQUEST_BYTES)) {
      const outcome = await this.post(part, signal);
      if (outcome.kind === 'too_large') return permanent(`${kind} of one resource exceed New Relic's ${MAX_REQUEST_BYTES}-byte request limit: ${outcome.reason}`);
      if (outcome.kind !== 'success') return outcome;
      rejected += outcome.rejected ?? 0;
    }
    return success(rejected || undefined);
  }

  private async sendSplit(logs: Logs, signal: AbortSignal): Promise<SendResult> {
    const refs = flattenRecords(logs);
    const { batches, oversize } = packBySize(refs, (ref) => recordBytes(ref.record), {
      maxBytes: MAX_REQUEST_BYTES,
      baseBytes: Math.min(envelopeBytes(logs), MAX_REQUEST_BYTES * MAX_ENVELOPE_SHARE),
    });
    // Too big uncompressed is not yet too big: alone and gzipped it may still fit.
    for (const ref of oversize) batches.push([ref]);
    const outcome = await sendInBatches(batches, async (batch) => {
      const bytes = encodeLogs(regroupRecords(batch));
      if (bytes.length > MAX_REQUEST_BYTES && batch.length > 1) return { kind: 'too_large', reason: 'measured above the limit' };
      return this.post(bytes, signal);
    });
    if (outcome.failure) return outcome.failure;

    const tooLarge: RecordRef[] = outcome.tooLarge;
    if (tooLarge.length === 0) return success(outcome.partiallyRejected || undefined);
    const reason = `${tooLarge.length} log record(s) exceed New Relic's ${MAX_REQUEST_BYTES}-byte request limit on their own: ${outcome.tooLargeReason}`;
    if (tooLarge.length === refs.length) return permanent(reason);
    this.options.logger.warn('newrelic: log records can never be accepted; dead-lettering them', { records: tooLarge.length });
    return success(tooLarge.length + outcome.partiallyRejected, reason, regroupRecords(tooLarge));
  }

  private async post(protobuf: Uint8Array, signal: AbortSignal): Promise<BatchOutcome> {
    const gzipped = this.options.config.compression === 'gzip';
    const body = gzipped ? await gzipAsync(protobuf) : protobuf;
    if (body.length > MAX_REQUEST_BYTES) return { kind: 'too_large', reason: `${body.length}-byte body above the limit` };
    const headers: Record<string, string> = { 'Content-Type': 'application/x-protobuf', 'api-key': this.apiKey };
    if (gzipped) headers['Content-Encoding'] = 'gzip';
    let response: Response;
    try {
      response = await this.fetchFn(this.url, { method: 'POST', headers, body, signal });
    } catch (err) {
      return this.scrub(classifyNetworkError(err));
    }
    if (response.ok) return partialSuccess(new Uint8Array(await response.arrayBuffer().catch(() => new ArrayBuffer(0))));
    const text = await response.text().catch(() => '');
    if (response.status === HTTP_PAYLOAD_TOO_LARGE) return { kind: 'too_large', reason: this.scrubText(`HTTP 413: ${text.slice(0, MAX_REASON_BODY_CHARS)}`) };
    return this.scrub(classifyHttpFailure(response.status, response.headers, text, 'otlp'));
  }

  private scrub(result: SendResult): SendResult {
    return result.kind === 'success' ? result : { ...result, reason: this.scrubText(result.reason) };
  }

  private scrubText(text: string): string {
    return redact(text).split(this.apiKey).join('[REDACTED]');
  }
}

/** A 2xx body: ExportLogsServiceResponse, whose partial_success counts records refused for good. */
function partialSuccess(body: Uint8Array): SendResult {
  try {
    const { rejectedLogRecords, errorMessage } = decodeExportResponse(body);
    return rejectedLogRecords > 0n ? success(Number(rejectedLogRecords), errorMessage || undefined) : success();
  } catch {
    return success(); // a 2xx with an unreadable body still means accepted
  }
}

/** One record's encoded size, with its (small) resource/scope wrapper: a slight over-estimate. */
function recordBytes(record: LogRecord): number {
  return encodeLogs({ resourceLogs: [{ schemaUrl: '', scopeLogs: [{ schemaUrl: '', logRecords: [record] }] }] }).length;
}

/** Every resource and scope envelope without records: the most a split request repeats. */
function envelopeBytes(logs: Logs): number {
  return encodeLogs({
    resourceLogs: logs.resourceLogs.map((rl) => ({ ...rl, scopeLogs: rl.scopeLogs.map((sl) => ({ ...sl, logRecords: [] })) })),
  }).length;
}
