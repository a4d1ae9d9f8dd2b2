import { resolveClientAuthenticator, sendWithClientAuth, type ClientAuthenticator } from '../../extensions/client-auth.js';
import type { Host } from '../../pipeline/component.js';
import { TokenError } from '../helper/token-cache.js';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { Logger } from '../../telemetry/logger.js';
import { redact } from '../../telemetry/secrets.js';
import { classifyHttpFailure, classifyNetworkError } from '../helper/classify.js';
import { retryable, success, type ExportRequest, type LogsSender, type SendResult } from '../helper/sender.js';
import { resultOfItems } from '../helper/item-outcomes.js';
import { flattenRecords, packBySize, type RecordRef } from '../helper/split.js';
import { HttpClient } from '../helper/http-client.js';
import { bulkItem, readBulkResponse, type BulkItem, type ItemOutcome } from './bulk.js';
import { elasticsearchUrls, type ElasticsearchConfig } from './config.js';
import { toDocument, UnmappableRecord } from './document.js';
import { routeOf } from './routing.js';

const gzipAsync = promisify(gzip);

const HTTP_PAYLOAD_TOO_LARGE = 413;
/** A `_bulk` answer holds ~150 bytes per item; this is room for far more items than one request holds. */
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
const MAX_REASON_BODY_CHARS = 300;
const USER_AGENT = 'make-otel-gateway elasticsearch exporter';

export interface ElasticsearchSenderOptions {
  config: ElasticsearchConfig;
  logger: Logger;
  /** The exporter id, for messages that name its config keys. */
  id?: string;
  /** Secrets to scrub from reasons besides the registered ones (Basic credentials as sent). */
  secrets: readonly string[];
  /** Counts documents already in the index (409 on create): a redelivery, not a loss. */
  onConflict?: (documents: number) => void;
}

type BatchAnswer = { kind: 'items'; outcomes: ItemOutcome[] } | { kind: 'failed'; result: SendResult } | { kind: 'too_large'; reason: string };

/**
 * One queued request → `_bulk` requests of at most `flush.bytes` each, in order. Per-item
 * results decide: delivered (2xx, or 409 on a `create` with an id), retried alone (status in
 * `retry.retry_on_status`), or dead-lettered alone with the item error. A request-level failure
 * (connection, 429, 5xx) retries what is not yet delivered; nothing delivered is sent again.
 */
export class ElasticsearchSender implements LogsSender {
  private readonly urls: string[];
  private next = 0;
  private readonly http: HttpClient;
  private readonly headers: Record<string, string>;
  private auth?: ClientAuthenticator;
  private readonly retryOnStatus: ReadonlySet<number>;

  constructor(private readonly options: ElasticsearchSenderOptions) {
    const { config } = options;
    this.urls = elasticsearchUrls(config).map((u) => u.replace(/\/+$/, ''));
    this.retryOnStatus = new Set(config.retry.retry_on_status);
    this.http = new HttpClient(config, `exporters.${options.id ?? 'elasticsearch'}`);
    this.headers = {
      'User-Agent': USER_AGENT,
      ...config.headers,
      'Content-Type': 'application/x-ndjson',
      Accept: 'application/json',
      ...(config.compression === 'gzip' ? { 'Content-Encoding': 'gzip' } : {}),
      ...authorization(config),
    };
  }

  /** Reads the TLS files and finds the `auth.authenticator` now, so a mistake fails the start, not every send. */
  async start(host?: Host): Promise<void> {
    const { auth } = this.options.config;
    if (auth && host) this.auth = resolveClientAuthenticator(host, auth.authenticator, `exporters.${this.options.id ?? 'elasticsearch'}.auth.authenticator`);
    await this.http.start();
  }

  async shutdown(): Promise<void> {
    await this.http.close();
  }

  async send(request: ExportRequest, signal: AbortSignal): Promise<SendResult> {
    const { config } = this.options;
    const refs = flattenRecords(request.logs());
    if (refs.length === 0) return success();
    const items: BulkItem[] = [];
    const rejected: { ref: RecordRef; reason: string }[] = [];
    for (const ref of refs) {
      const route = routeOf(ref, config);
      try {
        items.push(bulkItem(ref, route, toDocument(ref, config.mapping.mode, route.dataStream)));
      } catch (err) {
        if (!(err instanceof UnmappableRecord)) throw err;
        rejected.push({ ref, reason: err.message });
      }
    }
    // A document above flush.bytes still goes, alone: flush.bytes is a buffer size, not an ES limit.
    const packed = packBySize(items, (i) => i.bytes, { maxBytes: config.flush.bytes });
    const work = [...packed.batches, ...packed.oversize.map((i) => [i])].reverse();
    const retry: RecordRef[] = [];
    let retryReason = '';
    let conflicts = 0;
    while (work.length > 0) {
      const batch = work.pop()!;
      const answer = await this.postBulk(batch, signal);
      if (answer.kind === 'too_large') {
        if (batch.length === 1) rejected.push({ ref: batch[0]!.ref, reason: answer.reason });
        else work.push(batch.slice(Math.ceil(batch.length / 2)), batch.slice(0, Math.ceil(batch.length / 2)));
        continue;
      }
      if (answer.kind === 'failed') {
        const notSent = [...batch, ...work.reverse().flat()].map((i) => i.ref);
        if (answer.result.kind === 'retryable') {
          // Retry this batch and the ones not sent yet; the ones before it were delivered.
          retry.push(...notSent);
          return this.finish(refs.length, retry, answer.result.reason, rejected, answer.result.retryAfterMs, conflicts);
        }
        if (notSent.length + rejected.length === refs.length && retry.length === 0) return answer.result;
        // Part is delivered already: only what is left goes to the dead-letter store.
        const reason = answer.result.kind === 'permanent' ? answer.result.reason : 'refused';
        rejected.push(...notSent.map((ref) => ({ ref, reason })));
        break;
      }
      answer.outcomes.forEach((o, i) => {
        const item = batch[i]!;
        if (o.kind === 'ok') {
          if (o.conflict) conflicts++;
          return;
        }
        if (o.kind === 'retry') {
          retry.push(item.ref);
          retryReason = `bulk item ${o.reason}`;
        } else rejected.push({ ref: item.ref, reason: `bulk item ${o.reason}` });
      });
    }
    return this.finish(refs.length, retry, retryReason, rejected, undefined, conflicts);
  }

  private finish(total: number, retry: RecordRef[], retryReason: string, rejected: { ref: RecordRef; reason: string }[], retryAfterMs: number | undefined, conflicts: number): SendResult {
    if (conflicts > 0) this.options.onConflict?.(conflicts);
    return resultOfItems({ total, retry, retryReason, rejected, retryAfterMs }, { exporter: 'elasticsearch', item: 'document', again: 'retry' }, this.options.logger, (t) => this.scrub(t));
  }

  private async postBulk(batch: BulkItem[], signal: AbortSignal): Promise<BatchAnswer> {
    const { config } = this.options;
    const ndjson = Buffer.from(batch.map((i) => i.ndjson).join(''), 'utf8');
    const body = config.compression === 'gzip' ? await gzipAsync(ndjson, { level: config.compression_params.level }) : ndjson;
    const base = this.urls[this.next++ % this.urls.length]!;
    let response;
    try {
      const url = new URL(`${base}/_bulk`);
      response = await sendWithClientAuth(this.auth, this.headers, signal, (headers) => this.http.post(url, { headers, body, signal, maxResponseBytes: MAX_RESPONSE_BYTES }));
    } catch (err) {
      if (err instanceof TokenError) return { kind: 'failed', result: this.scrubResult(err.result) };
      return { kind: 'failed', result: this.scrubResult(classifyNetworkError(err)) };
    }
    const text = response.body.toString('utf8');
    if (response.status === HTTP_PAYLOAD_TOO_LARGE) return { kind: 'too_large', reason: this.scrub(`HTTP 413: ${text.slice(0, MAX_REASON_BODY_CHARS)}`) };
    if (response.status < 200 || response.status >= 300) {
      const result = classifyHttpFailure(response.status, response.headers, text, 'vendor');
      // retry_on_status widens what is retried at the request level too (the Collector shares the list).
      const widened = result.kind === 'permanent' && this.retryOnStatus.has(response.status) ? retryable(result.reason) : result;
      return { kind: 'failed', result: this.scrubResult(widened) };
    }
    const outcomes = readBulkResponse(text, batch, this.retryOnStatus);
    if (!outcomes) return { kind: 'failed', result: retryable(this.scrub(`unreadable _bulk answer: ${text.slice(0, MAX_REASON_BODY_CHARS)}`)) };
    return { kind: 'items', outcomes };
  }

  private scrubResult(result: SendResult): SendResult {
    return result.kind === 'success' ? result : { ...result, reason: this.scrub(result.reason) };
  }

  /** Reasons end up in logs and the dead-letter store: the credentials must not, in any form. */
  private scrub(text: string): string {
    let out = redact(text);
    for (const s of this.options.secrets) if (s) out = out.split(s).join('[REDACTED]');
    return out;
  }
}

/** `Authorization` for `api_key` (ES "encoded" API key) or `user`/`password` (Basic). */
export function authorization(config: Pick<ElasticsearchConfig, 'api_key' | 'user' | 'password'>): Record<string, string> {
  if (config.api_key) return { Authorization: `ApiKey ${config.api_key}` };
  if (config.user) return { Authorization: `Basic ${basicToken(config.user, config.password ?? '')}` };
  return {};
}

export function basicToken(user: string, password: string): string {
  return Buffer.from(`${user}:${password}`, 'utf8').toString('base64');
}
