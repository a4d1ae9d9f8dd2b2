import { EventEmitter } from 'node:events';
import { decompress as fzstdDecompress } from 'fzstd';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import * as zlib from 'node:zlib';
import { exportResponseToJson, logsFromJson } from '../../src/pdata/json.js';
import { countLogRecords, type LogRecord, type Logs } from '../../src/pdata/model.js';
import { decodeLogs, encodeExportResponse } from '../../src/pdata/proto.js';
import { encodeStatus } from '../../src/transport/rpc-status.js';
import { waitForCount } from './wait-for-count.js';

/**
 * A strict fake OTLP/HTTP logs backend (what a Collector's otlp receiver answers), on 127.0.0.1
 * with an ephemeral port. It accepts only `POST <path>` with `application/x-protobuf` or
 * `application/json`, gzip / zstd / identity bodies, and the configured headers; it refuses
 * anything else with the Collector's status codes. Accepted requests are decoded with the
 * gateway's codecs and kept. It can be scripted to fail, throttle, answer partial_success, or go
 * down (connections refused) and come back on the same port.
 *
 *   const backend = await OtlpHttpBackend.start();
 *   // exporter config: { endpoint: backend.url }   (or logs_endpoint: backend.logsUrl)
 *   backend.failNext(2, { status: 503, retryAfter: 1 });
 *   await backend.waitForRecords(10);
 *   expect(backend.records().map((r) => r.body?.stringValue)).toEqual([...]);
 */

export interface OtlpHttpBackendOptions {
  /** Path requests must use. Default `/v1/logs`. */
  path?: string;
  /** Headers every request must carry with exactly these values (names case-insensitive); else 401. */
  requiredHeaders?: Record<string, string>;
  /** Bodies above this many bytes (on the wire or decompressed) get 413. Default 20 MiB. */
  maxBodyBytes?: number;
}

export interface ReceivedOtlpHttpRequest {
  logs: Logs;
  records: number;
  encoding: 'proto' | 'json';
  /** `gzip`, `zstd` or `identity`. */
  contentEncoding: string;
  /** Body size on the wire. */
  bodyBytes: number;
  headers: IncomingHttpHeaders;
}

export interface ScriptedAnswer {
  status: number;
  /** Sent as the Retry-After header: seconds (number) or any string (an HTTP-date). */
  retryAfter?: number | string;
  /** google.rpc.Status message in the body. */
  message?: string;
}

export interface Refusal {
  status: number;
  message: string;
}

const DEFAULT_MAX_BODY_BYTES = 20 * 1024 * 1024;
const MEDIA = { proto: 'application/x-protobuf', json: 'application/json' } as const;

export class OtlpHttpBackend {
  /** Accepted requests, in arrival order. */
  readonly requests: ReceivedOtlpHttpRequest[] = [];
  /** Every refusal (scripted or for a bad request), in order. */
  readonly refusals: Refusal[] = [];
  private readonly scripted: ScriptedAnswer[] = [];
  private always?: ScriptedAnswer;
  private partial?: { rejected: number; message: string };
  private readonly sockets = new Set<Socket>();
  private readonly events = new EventEmitter();
  private server: Server;
  private port = 0;
  private downMode?: 'refuse' | 'unavailable';

  private constructor(private readonly options: OtlpHttpBackendOptions) {
    this.server = this.createServer();
  }

  static async start(options: OtlpHttpBackendOptions = {}): Promise<OtlpHttpBackend> {
    const backend = new OtlpHttpBackend(options);
    await backend.listen(0);
    return backend;
  }

  /** Base URL for the exporter's `endpoint` (it appends `/v1/logs`). */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Full URL for `logs_endpoint`. */
  get logsUrl(): string {
    return this.url + (this.options.path ?? '/v1/logs');
  }

  /** Every accepted log record, in arrival order. */
  records(): LogRecord[] {
    return this.requests.flatMap((r) => r.logs.resourceLogs.flatMap((rl) => rl.scopeLogs.flatMap((sl) => sl.logRecords)));
  }

  recordCount(): number {
    return this.requests.reduce((n, r) => n + r.records, 0);
  }

  /** The next `times` valid requests get this answer (a status alone, or with Retry-After/message). */
  failNext(times: number, answer: ScriptedAnswer | number): void {
    const a = typeof answer === 'number' ? { status: answer } : answer;
    for (let i = 0; i < times; i++) this.scripted.push(a);
  }

  /** Every valid request gets this answer until called again with undefined. */
  failAlways(answer: ScriptedAnswer | number | undefined): void {
    this.always = typeof answer === 'number' ? { status: answer } : answer;
  }

  /** Accepted requests are answered with this partial_success (until called with rejected 0). */
  partialSuccess(rejected: number, message = ''): void {
    this.partial = rejected || message ? { rejected, message } : undefined;
  }

  /**
   * Take the backend down: `refuse` closes the listener and every connection (clients see
   * ECONNREFUSED); `unavailable` keeps listening and answers 503.
   */
  async goDown(mode: 'refuse' | 'unavailable' = 'refuse'): Promise<void> {
    this.downMode = mode;
    if (mode === 'unavailable') return;
    await this.stopListening();
  }

  /** Back up, on the same port. */
  async comeUp(): Promise<void> {
    const wasRefusing = this.downMode === 'refuse';
    this.downMode = undefined;
    if (wasRefusing) {
      this.server = this.createServer();
      await this.listen(this.port);
    }
  }

  /** Resolves once at least `count` records were accepted; rejects after `timeoutMs`. */
  waitForRecords(count: number, timeoutMs = 10_000): Promise<void> {
    return waitForCount(this.events, 'accepted', () => this.recordCount(), count, timeoutMs, () => `OtlpHttpBackend refusals: ${JSON.stringify(this.refusals.slice(-5))}`);
  }


  async close(): Promise<void> {
    this.downMode = 'refuse';
    await this.stopListening();
  }

  private createServer(): Server {
    const server = createServer((req, res) => this.onRequest(req, res));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    return server;
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.port = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  private stopListening(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
    });
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    const limit = this.options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= limit) chunks.push(c);
    });
    req.on('end', () => this.handle(req, res, Buffer.concat(chunks), size));
  }

  private refuse(res: ServerResponse, kind: 'proto' | 'json' | 'text', status: number, message: string, headers: Record<string, string> = {}): void {
    this.refusals.push({ status, message });
    // Like the Collector: a google.rpc.Status in the request's encoding.
    const body =
      kind === 'proto' ? Buffer.from(encodeStatus({ code: grpcCodeFor(status), message })) : kind === 'json' ? JSON.stringify({ code: grpcCodeFor(status), message }) : message;
    const type = kind === 'text' ? 'text/plain' : MEDIA[kind];
    res.writeHead(status, { 'Content-Type': type, ...headers }).end(body);
  }

  private handle(req: IncomingMessage, res: ServerResponse, raw: Buffer, size: number): void {
    if (this.downMode === 'unavailable') return this.refuse(res, 'text', 503, 'backend down');
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path !== (this.options.path ?? '/v1/logs')) return this.refuse(res, 'text', 404, '404 page not found');
    if (req.method !== 'POST') return this.refuse(res, 'text', 405, `${req.method} method not allowed, supported: [POST]`, { Allow: 'POST' });
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const kind = type === MEDIA.proto ? 'proto' : type === MEDIA.json ? 'json' : undefined;
    if (!kind) return this.refuse(res, 'text', 415, `415 unsupported media type, supported: [${MEDIA.json}, ${MEDIA.proto}]`);
    for (const [name, value] of Object.entries(this.options.requiredHeaders ?? {})) {
      if (req.headers[name.toLowerCase()] !== value) return this.refuse(res, kind, 401, `missing or wrong ${name} header`);
    }
    const limit = this.options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    if (size > limit) return this.refuse(res, kind, 413, `request body larger than ${limit} bytes`);
    const contentEncoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
    let body: Buffer;
    try {
      body = decompress(contentEncoding, raw, limit);
    } catch (err) {
      return this.refuse(res, kind, 400, (err as Error).message);
    }
    let logs: Logs;
    try {
      logs = kind === 'proto' ? decodeLogs(body) : logsFromJson(body.toString('utf8'));
    } catch (err) {
      return this.refuse(res, kind, 400, (err as Error).message);
    }
    const scripted = this.scripted.shift() ?? this.always;
    if (scripted) {
      const headers: Record<string, string> = scripted.retryAfter !== undefined ? { 'Retry-After': String(scripted.retryAfter) } : {};
      return this.refuse(res, kind, scripted.status, scripted.message ?? `scripted ${scripted.status}`, headers);
    }
    const records = countLogRecords(logs);
    this.requests.push({ logs, records, encoding: kind, contentEncoding, bodyBytes: raw.length, headers: req.headers });
    const answer = { rejectedLogRecords: this.partial?.rejected, errorMessage: this.partial?.message };
    const out = kind === 'proto' ? Buffer.from(encodeExportResponse(answer)) : exportResponseToJson(answer);
    res.writeHead(200, { 'Content-Type': MEDIA[kind] }).end(out);
    this.events.emit('accepted');
  }
}

function decompress(encoding: string, raw: Buffer, limit: number): Buffer {
  try {
    if (encoding === 'identity') return raw;
    if (encoding === 'gzip') return zlib.gunzipSync(raw, { maxOutputLength: limit });
    if (encoding === 'zstd') {
      // fzstd: a decoder independent of the WebAssembly / node:zlib encoder under test.
      const out = Buffer.from(fzstdDecompress(raw));
      if (out.length > limit) throw new Error(`over ${limit} bytes`);
      return out;
    }
  } catch (err) {
    throw new Error(`could not decompress ${encoding} body: ${(err as Error).message}`);
  }
  throw new Error(`unsupported Content-Encoding: ${encoding}`);
}

/** The OTLP spec's HTTP ↔ gRPC status pairing, for the Status body. */
function grpcCodeFor(status: number): number {
  if (status === 400) return 3;
  if (status === 401) return 16;
  if (status === 403) return 7;
  if (status === 404) return 5;
  if (status === 413 || status === 429) return 8;
  if (status === 503 || status === 502 || status === 504) return 14;
  return 2;
}
