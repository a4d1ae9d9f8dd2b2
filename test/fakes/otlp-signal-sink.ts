import * as grpc from '@grpc/grpc-js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { canonical, countItems, encodeResponse, type OtlpSignal } from './otlp-signal-codec.js';

/**
 * A strict fake OTLP backend for all three signals, as a Collector's otlp receiver answers: HTTP
 * `POST /v1/logs|/v1/traces|/v1/metrics` (protobuf or JSON by Content-Type; gzip by
 * Content-Encoding) and gRPC `LogsService|TraceService|MetricsService/Export`, plaintext on
 * 127.0.0.1. Wrong method → 405, unknown path → 404, other media type → 415, body that is not the
 * signal's request → 400 / INVALID_ARGUMENT; accepted requests are kept decoded (otlp-signal-codec.ts)
 * so tests compare what the client sent with what arrived. Scriptable: failures with any status,
 * partial_success, and going down and up again on the same ports.
 *
 * It also serves as the capture server in interop tests: point an SDK exporter at it and its
 * `requests` hold exactly what the SDK put on the wire.
 */

export interface SinkRequest {
  signal: OtlpSignal;
  transport: 'http' | 'grpc';
  encoding: 'proto' | 'json';
  /** The request, canonical (see otlp-signal-codec.ts). */
  body: Record<string, unknown>;
  items: number;
  headers: Record<string, string>;
}

export interface SinkFailure {
  /** The HTTP status for HTTP requests. */
  http?: number;
  /** The gRPC status for gRPC calls. */
  grpc?: grpc.status;
  message?: string;
}

const HTTP_PATHS: Record<string, OtlpSignal> = { '/v1/logs': 'logs', '/v1/traces': 'traces', '/v1/metrics': 'metrics' };
const GRPC_SERVICES: Record<OtlpSignal, string> = {
  logs: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
  traces: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
  metrics: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
};
const MEDIA = { 'application/x-protobuf': 'proto', 'application/json': 'json' } as const;
const identity = (b: Buffer) => b;

export class OtlpSignalSink {
  readonly requests: SinkRequest[] = [];
  /** Every refusal answered, scripted or for a bad request. */
  readonly refusals: { transport: 'http' | 'grpc'; status: number; message: string }[] = [];
  private readonly scripted: SinkFailure[] = [];
  private partial?: { rejected: number; message: string };
  private http?: Server;
  private grpcServer?: grpc.Server;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private httpPort: number,
    private grpcPort: number,
  ) {}

  /** Listens on the given ports (0: ephemeral). */
  static async start(ports: { http?: number; grpc?: number } = {}): Promise<OtlpSignalSink> {
    const sink = new OtlpSignalSink(ports.http ?? 0, ports.grpc ?? 0);
    await sink.up();
    return sink;
  }

  get url(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  get grpcEndpoint(): string {
    return `127.0.0.1:${this.grpcPort}`;
  }

  /** The next `times` requests fail with `failure`. */
  failNext(times: number, failure: SinkFailure): void {
    for (let i = 0; i < times; i++) this.scripted.push(failure);
  }

  /** Accepted requests are answered with this partial_success (0 and '' to stop). */
  partialSuccess(rejected: number, message = ''): void {
    this.partial = rejected || message ? { rejected, message } : undefined;
  }

  of(signal: OtlpSignal): SinkRequest[] {
    return this.requests.filter((r) => r.signal === signal);
  }

  items(signal: OtlpSignal): number {
    return this.of(signal).reduce((n, r) => n + r.items, 0);
  }

  /** Resolves once `items` spans/points/records of `signal` arrived. */
  async waitForItems(signal: OtlpSignal, items: number, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.items(signal) < items) {
      if (Date.now() > deadline) throw new Error(`${this.items(signal)} of ${items} ${signal} items after ${timeoutMs} ms; refusals: ${JSON.stringify(this.refusals.slice(-3))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Stops listening and drops open connections: clients see connection refused. */
  async down(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await Promise.all([
      new Promise<void>((r) => (this.http ? this.http.close(() => r()) : r())),
      new Promise<void>((r) => (this.grpcServer ? this.grpcServer.tryShutdown(() => r()) : r())),
    ]);
    this.grpcServer?.forceShutdown();
    this.http = this.grpcServer = undefined;
  }

  /** Listens again, on the same ports as before. */
  async up(): Promise<void> {
    const http = createServer((req, res) => void this.onHttp(req, res));
    http.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((r, j) => http.once('error', j).listen(this.httpPort, '127.0.0.1', () => r()));
    this.httpPort = (http.address() as AddressInfo).port;
    this.http = http;
    const server = new grpc.Server();
    for (const signal of Object.keys(GRPC_SERVICES) as OtlpSignal[]) {
      const method = { path: GRPC_SERVICES[signal], requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity };
      server.addService({ Export: method }, { Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => this.onGrpc(signal, call, cb) });
    }
    this.grpcPort = await new Promise<number>((r, j) => server.bindAsync(`127.0.0.1:${this.grpcPort}`, grpc.ServerCredentials.createInsecure(), (err, port) => (err ? j(err) : r(port))));
    this.grpcServer = server;
  }

  close(): Promise<void> {
    return this.down();
  }

  private accept(request: SinkRequest): void {
    this.requests.push(request);
  }

  private async onHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const refuse = (status: number, message: string) => {
      this.refusals.push({ transport: 'http', status, message });
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify({ code: status === 400 ? 3 : 14, message }));
    };
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const signal = HTTP_PATHS[(req.url ?? '').split('?')[0]];
    if (!signal) return refuse(404, `no such path ${req.url}`);
    if (req.method !== 'POST') return refuse(405, `method ${req.method} not allowed`);
    const encoding = MEDIA[(req.headers['content-type'] ?? '').split(';')[0].trim() as keyof typeof MEDIA];
    if (!encoding) return refuse(415, `unsupported content type ${req.headers['content-type']}`);
    let raw = Buffer.concat(chunks);
    const contentEncoding = req.headers['content-encoding'];
    if (contentEncoding && contentEncoding !== 'gzip') return refuse(400, `unsupported content encoding ${contentEncoding}`);
    let body;
    try {
      if (contentEncoding === 'gzip') raw = gunzipSync(raw);
      body = canonical(signal, raw, encoding);
    } catch (err) {
      return refuse(400, `cannot decode the ${signal} request: ${(err as Error).message}`);
    }
    const scripted = this.scripted.shift();
    if (scripted) return refuse(scripted.http ?? 503, scripted.message ?? 'scripted failure');
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    this.accept({ signal, transport: 'http', encoding, body, items: countItems(signal, body), headers });
    res.writeHead(200, { 'Content-Type': encoding === 'json' ? 'application/json' : 'application/x-protobuf' }).end(encodeResponse(signal, encoding, this.partial?.rejected, this.partial?.message));
  }

  private onGrpc(signal: OtlpSignal, call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>): void {
    const refuse = (code: grpc.status, message: string) => {
      this.refusals.push({ transport: 'grpc', status: code, message });
      cb({ code, details: message });
    };
    let body;
    try {
      body = canonical(signal, call.request, 'proto');
    } catch (err) {
      return refuse(grpc.status.INVALID_ARGUMENT, `cannot decode the ${signal} request: ${(err as Error).message}`);
    }
    const scripted = this.scripted.shift();
    if (scripted) return refuse(scripted.grpc ?? grpc.status.UNAVAILABLE, scripted.message ?? 'scripted failure');
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(call.metadata.getMap())) if (typeof v === 'string') headers[k] = v;
    this.accept({ signal, transport: 'grpc', encoding: 'proto', body, items: countItems(signal, body), headers });
    cb(null, encodeResponse(signal, 'proto', this.partial?.rejected, this.partial?.message));
  }
}
