import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync, inflateSync } from 'node:zlib';

/**
 * A strict fake of Datadog's logs intake (`POST /api/v2/logs`, Logs API v2 reference): it checks
 * what Datadog checks and refuses with Datadog's status codes and `{"errors":[…]}` bodies, so a
 * request that passes here is one Datadog would take. It also records every limit violation
 * Datadog would paper over (an entry above 1 MB gets silently truncated there) so tests can
 * assert there were none.
 */

export const DD_MAX_ITEMS = 1000;
/** 5 MB read strictly (10^6): the fake must not be more lenient than any reading of the docs. */
export const DD_MAX_UNCOMPRESSED_BYTES = 5_000_000;
export const DD_MAX_ENTRY_BYTES = 1_000_000;

export interface DatadogRequestRecord {
  entries: Record<string, unknown>[];
  uncompressedBytes: number;
  contentEncoding?: string;
}

export interface DatadogIntake {
  url: string;
  /** Every accepted entry, in arrival order. */
  readonly entries: Record<string, unknown>[];
  /** Every accepted request. */
  readonly requests: DatadogRequestRecord[];
  /** Every refused request's status. */
  readonly refusals: number[];
  /** Limits broken by requests that were nevertheless accepted (oversized entries). */
  readonly violations: string[];
  /** Answer the next `times` valid requests with 429 + Retry-After: `retryAfterSeconds`. */
  throttle(times: number, retryAfterSeconds?: number): void;
  /** Answer the next `times` valid requests with this status (e.g. 503, 500, 413). */
  failNext(times: number, status: number): void;
  close(): Promise<void>;
}

function errorBody(status: number, title: string, detail: string): string {
  return JSON.stringify({ errors: [{ status: String(status), title, detail }] });
}

export async function startDatadogIntake(options: { apiKey: string }): Promise<DatadogIntake> {
  const entries: Record<string, unknown>[] = [];
  const requests: DatadogRequestRecord[] = [];
  const refusals: number[] = [];
  const violations: string[] = [];
  const scripted: { status: number; retryAfterSeconds?: number }[] = [];

  const refuse = (res: ServerResponse, status: number, title: string, detail: string, headers: Record<string, string> = {}) => {
    refusals.push(status);
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(errorBody(status, title, detail));
  };

  const handle = (req: IncomingMessage, res: ServerResponse, raw: Buffer) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path !== '/api/v2/logs') return refuse(res, 404, 'Not Found', `unknown path ${path}`);
    if (req.method !== 'POST') return refuse(res, 405, 'Method Not Allowed', 'only POST');
    if (req.headers['dd-api-key'] !== options.apiKey) return refuse(res, 403, 'Forbidden', 'Forbidden');
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return refuse(res, 400, 'Bad Request', 'expected application/json');
    const encoding = req.headers['content-encoding'];
    let body: Buffer;
    try {
      body = encoding === 'gzip' ? gunzipSync(raw) : encoding === 'deflate' ? inflateSync(raw) : encoding ? Buffer.alloc(0) : raw;
      if (encoding && encoding !== 'gzip' && encoding !== 'deflate') return refuse(res, 415, 'Unsupported Media Type', `content-encoding ${encoding}`);
    } catch {
      return refuse(res, 400, 'Bad Request', 'Malformed payload');
    }
    if (body.length > DD_MAX_UNCOMPRESSED_BYTES) return refuse(res, 413, 'Payload Too Large', 'batch is above 5MB uncompressed');
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return refuse(res, 400, 'Bad Request', 'Malformed payload');
    }
    const batch = Array.isArray(parsed) ? parsed : [parsed];
    if (batch.length > DD_MAX_ITEMS) return refuse(res, 413, 'Payload Too Large', `array above ${DD_MAX_ITEMS} entries`);
    if (!batch.every((e) => e !== null && typeof e === 'object' && !Array.isArray(e))) return refuse(res, 400, 'Bad Request', 'Malformed payload');
    const next = scripted.shift();
    if (next) {
      const headers: Record<string, string> = next.retryAfterSeconds !== undefined ? { 'Retry-After': String(next.retryAfterSeconds) } : {};
      return refuse(res, next.status, 'Scripted failure', `status ${next.status}`, headers);
    }
    for (const e of batch) {
      const size = Buffer.byteLength(JSON.stringify(e));
      if (size > DD_MAX_ENTRY_BYTES) violations.push(`entry of ${size} bytes above ${DD_MAX_ENTRY_BYTES} (Datadog would truncate it)`);
    }
    entries.push(...(batch as Record<string, unknown>[]));
    requests.push({ entries: batch as Record<string, unknown>[], uncompressedBytes: body.length, contentEncoding: encoding });
    res.writeHead(202, { 'Content-Type': 'application/json' }).end('{}');
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
    entries,
    requests,
    refusals,
    violations,
    throttle(times, retryAfterSeconds = 0) {
      for (let i = 0; i < times; i++) scripted.push({ status: 429, retryAfterSeconds });
    },
    failNext(times, status) {
      for (let i = 0; i < times; i++) scripted.push({ status });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
