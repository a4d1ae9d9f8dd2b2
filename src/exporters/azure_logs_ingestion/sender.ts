import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import type { Logger } from '../../telemetry/logger.js';
import { redact } from '../../telemetry/secrets.js';
import { HttpClient } from '../helper/http-client.js';
import { classifyHttpFailure } from '../helper/classify.js';
import { permanent, success, type ExportRequest, type LogsSender, type SendResult } from '../helper/sender.js';
import { flattenRecords, packBySize, regroupRecords, sendInBatches, type BatchOutcome, type RecordRef } from '../helper/split.js';
import { sendWithToken, TokenCache } from '../helper/token-cache.js';
import { ingestionUrl, type AzureLogsIngestionConfig } from './config.js';
import { entraTokenSource } from './entra-token.js';
import { toIngestionRow, type IngestionRow } from './row.js';

const gzip = promisify(gzipCb);

/**
 * Azure documents 1 MB per Logs Ingestion call (compressed or not) and answers 413 above
 * 1,048,576 bytes; we pack uncompressed JSON to 1,000,000 so neither measure can be exceeded.
 */
export const MAX_REQUEST_BYTES = 1_000_000;
/** Azure truncates any field value above 64 KB itself; cutting a too-large row's Body to that loses nothing more. */
export const MAX_FIELD_BYTES = 64 * 1024;
const HTTP_PAYLOAD_TOO_LARGE = 413;

interface SerializedRow {
  json: string;
  bytes: number;
  ref: RecordRef;
}

export interface AzureSenderOptions {
  logger: Logger;
  /** Names the exporter in errors. */
  id?: string;
}

/**
 * Sends one queued request as one or more uploads of at most 1 MB to a DCR stream. A row that
 * cannot fit even with its Body cut, or that Azure refuses alone with 413, is handed back for the
 * dead-letter store while the rest is delivered.
 */
export class AzureLogsIngestionSender implements LogsSender {
  private readonly url: string;
  private readonly tokens: TokenCache;
  private readonly http: HttpClient;

  constructor(
    private readonly config: AzureLogsIngestionConfig,
    private readonly options: AzureSenderOptions,
  ) {
    this.url = ingestionUrl(config);
    this.http = new HttpClient(config, `exporters.${options.id ?? 'azure_logs_ingestion'}`);
    this.tokens = new TokenCache(entraTokenSource(config, this.http.fetch));
  }

  /** Reads the `tls` files now, so a wrong path fails the start, not every send. */
  async start(): Promise<void> {
    await this.http.start();
  }

  async shutdown(): Promise<void> {
    await this.http.close();
  }

  async send(request: ExportRequest, signal: AbortSignal): Promise<SendResult> {
    const refs = flattenRecords(request.logs());
    if (refs.length === 0) return success();
    const nowNano = BigInt(Date.now()) * 1_000_000n;
    const rows: SerializedRow[] = [];
    const unfit: RecordRef[] = [];
    let truncated = 0;
    for (const ref of refs) {
      const row = serializeRow(toIngestionRow(ref, nowNano), ref);
      if (row === undefined) unfit.push(ref);
      else {
        if (row.truncated) truncated++;
        rows.push(row.serialized);
      }
    }
    if (truncated > 0) this.options.logger.warn('azure_logs_ingestion: cut the Body of rows above the 1 MB call limit', { records: truncated, max_body_bytes: MAX_FIELD_BYTES });

    const { batches } = packBySize(rows, (r) => r.bytes, { maxBytes: MAX_REQUEST_BYTES, baseBytes: 2, separatorBytes: 1 });
    const outcome = await sendInBatches(batches, (batch) => this.post(batch, signal));
    if (outcome.failure) return outcome.failure;

    const rejected = [...unfit, ...outcome.tooLarge.map((r) => r.ref)];
    if (rejected.length === 0) return success();
    const reason = unfit.length > 0
      ? `${rejected.length} log record(s) exceed the 1 MB Logs Ingestion call limit even with the Body cut`
      : `${rejected.length} log record(s) refused as too large by Azure: ${outcome.tooLargeReason ?? 'HTTP 413'}`;
    if (rejected.length === refs.length) return permanent(reason);
    this.options.logger.warn('azure_logs_ingestion: log records can never be accepted; dead-lettering them', { records: rejected.length });
    return success(rejected.length, reason, regroupRecords(rejected));
  }

  private async post(batch: SerializedRow[], signal: AbortSignal): Promise<BatchOutcome> {
    const json = '[' + batch.map((r) => r.json).join(',') + ']';
    const body = this.config.compression === 'gzip' ? await gzip(json) : json;
    const res = await sendWithToken(() => this.tokens, signal, 'Logs Ingestion', (token) => this.fetchOnce(body, token, signal));
    if ('kind' in res) return res;
    if (res.ok) {
      await res.body?.cancel();
      return success();
    }
    const detail = this.scrub(azureErrorDetail(await res.text().catch(() => '')));
    if (res.status === HTTP_PAYLOAD_TOO_LARGE) return { kind: 'too_large', reason: `HTTP 413: ${detail}` };
    return classifyHttpFailure(res.status, res.headers, detail, 'vendor');
  }

  private fetchOnce(body: string | Buffer, token: string, signal: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'x-ms-client-request-id': randomUUID(),
    };
    if (typeof body !== 'string') headers['content-encoding'] = 'gzip';
    return this.http.fetch(this.url, { method: 'POST', headers, body, signal });
  }

  private scrub(text: string): string {
    return redact(text).split(this.config.client_secret).join('[REDACTED]');
  }
}

/** The row's JSON; a row above the call limit gets its Body cut to MAX_FIELD_BYTES; undefined if it still does not fit. */
function serializeRow(row: IngestionRow, ref: RecordRef): { serialized: SerializedRow; truncated: boolean } | undefined {
  const maxRowBytes = MAX_REQUEST_BYTES - 2; // the array brackets
  let json = JSON.stringify(row);
  let bytes = Buffer.byteLength(json);
  if (bytes <= maxRowBytes) return { serialized: { json, bytes, ref }, truncated: false };
  const text = typeof row.Body === 'string' ? row.Body : JSON.stringify(row.Body);
  json = JSON.stringify({ ...row, Body: cutUtf8(text, MAX_FIELD_BYTES) });
  bytes = Buffer.byteLength(json);
  return bytes <= maxRowBytes ? { serialized: { json, bytes, ref }, truncated: true } : undefined;
}

/** The longest prefix of `text` within `maxBytes` UTF-8 bytes, never ending inside a surrogate pair. */
export function cutUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let end = Math.min(text.length, maxBytes);
  while (end > 0 && Buffer.byteLength(text.slice(0, end)) > maxBytes) end = Math.floor(end * 0.9);
  while (end < text.length && Buffer.byteLength(text.slice(0, end + 1)) <= maxBytes) end++;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return text.slice(0, end);
}

/** Azure's `{"error":{"code","message"}}` → "code: message", short. */
function azureErrorDetail(text: string): string {
  try {
    const err = (JSON.parse(text) as { error?: { code?: unknown; message?: unknown } }).error;
    return [err?.code, err?.message].filter((x) => typeof x === 'string').join(': ').slice(0, 300);
  } catch {
    return text.slice(0, 200);
  }
}
