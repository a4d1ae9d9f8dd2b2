import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import type { Logs } from '../../src/pdata/model.js';
import { countLogRecords } from '../../src/pdata/model.js';
import { decodeLogs, encodeExportResponse } from '../../src/pdata/proto.js';

/**
 * A strict fake of New Relic's native OTLP/HTTP logs endpoint: `POST /v1/logs`, `api-key`
 * header, protobuf only, gzip or identity, bodies above 1,000,000 bytes refused with 413 before
 * they are even decoded, 403 for a wrong key, 429 + Retry-After when told to throttle. Every
 * request it accepts is decoded with the gateway's own codec and kept.
 */

export const NR_MAX_BODY_BYTES = 1_000_000;

export interface NewRelicRequestRecord {
  logs: Logs;
  /** Bytes on the wire (compressed when gzip). */
  bodyBytes: number;
  uncompressedBytes: number;
  contentEncoding?: string;
}

export interface NewRelicIntake {
  url: string;
  readonly requests: NewRelicRequestRecord[];
  readonly refusals: number[];
  /** Every log record accepted, in arrival order. */
  records(): Logs['resourceLogs'][number]['scopeLogs'][number]['logRecords'];
  recordCount(): number;
  throttle(times: number, retryAfterSeconds?: number): void;
  failNext(times: number, status: number): void;
  /** Answer accepted requests with this partial_success. */
  partialSuccess(rejected: number, message: string): void;
  close(): Promise<void>;
}

export async function startNewRelicIntake(options: { apiKey: string }): Promise<NewRelicIntake> {
  const requests: NewRelicRequestRecord[] = [];
  const refusals: number[] = [];
  const scripted: { status: number; retryAfterSeconds?: number }[] = [];
  let partial: { rejected: number; message: string } | undefined;

  const refuse = (res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}) => {
    refusals.push(status);
    res.writeHead(status, { 'Content-Type': 'text/plain', ...headers }).end(message);
  };

  const handle = (req: IncomingMessage, res: ServerResponse, raw: Buffer) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path !== '/v1/logs') return refuse(res, 404, 'Not Found');
    if (req.method !== 'POST') return refuse(res, 405, 'Method Not Allowed');
    if (req.headers['api-key'] !== options.apiKey) return refuse(res, 403, 'Forbidden: invalid license key');
    if (req.headers['content-type'] !== 'application/x-protobuf') return refuse(res, 415, 'Unsupported Media Type');
    if (raw.length > NR_MAX_BODY_BYTES) return refuse(res, 413, 'Payload Too Large');
    const encoding = req.headers['content-encoding'];
    if (encoding !== undefined && encoding !== 'gzip') return refuse(res, 415, `Unsupported Content-Encoding ${encoding}`);
    let logs: Logs;
    let uncompressed: Buffer;
    try {
      uncompressed = encoding === 'gzip' ? gunzipSync(raw) : raw;
      logs = decodeLogs(uncompressed);
    } catch {
      return refuse(res, 400, 'Bad Request: unparseable OTLP payload');
    }
    const next = scripted.shift();
    if (next) {
      const headers: Record<string, string> = next.retryAfterSeconds !== undefined ? { 'Retry-After': String(next.retryAfterSeconds) } : {};
      return refuse(res, next.status, `scripted ${next.status}`, headers);
    }
    requests.push({ logs, bodyBytes: raw.length, uncompressedBytes: uncompressed.length, contentEncoding: encoding });
    const body = partial ? encodeExportResponse({ rejectedLogRecords: partial.rejected, errorMessage: partial.message }) : encodeExportResponse();
    res.writeHead(200, { 'Content-Type': 'application/x-protobuf' }).end(Buffer.from(body));
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    refusals,
    records: () => requests.flatMap((r) => r.logs.resourceLogs.flatMap((rl) => rl.scopeLogs.flatMap((sl) => sl.logRecords))),
    recordCount: () => requests.reduce((n, r) => n + countLogRecords(r.logs), 0),
    throttle(times, retryAfterSeconds = 0) {
      for (let i = 0; i < times; i++) scripted.push({ status: 429, retryAfterSeconds });
    },
    failNext(times, status) {
      for (let i = 0; i < times; i++) scripted.push({ status });
    },
    partialSuccess(rejected, message) {
      partial = { rejected, message };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
