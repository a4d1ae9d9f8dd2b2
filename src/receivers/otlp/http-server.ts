import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { responseSignal } from '../../pipeline/cancellation.js';
import { GatewayError } from '../../errors.js';
import { logsFromJson } from '../../pdata/json.js';
import { rememberWireBytes } from '../../pdata/wire-bytes.js';
import { isAuthenticated, type ServerAuthenticator } from './auth.js';
import { BodyAbortedError, BodyTooLargeError, parseContentEncoding, readBody } from './body.js';
import type { OtlpHttpConfig } from './config.js';
import { metadataFromHeaders } from '../../pdata/client-info.js';
import { acceptableFromProtobuf, filterAcceptable, type AcceptableLogs } from './partial-success.js';
import { refusalFor, retryAfterSeconds, type Refusal } from './refusal.js';
import { CONTENT_TYPE, exportResponseBody, parseMediaType, statusBody, type MediaKind } from './http-bodies.js';
import { loadServerTls } from './tls.js';
import { CorsPolicy } from '../../net/cors.js';
import { consumeSignal, parseSignal } from './signal-export.js';
import type { ReceiverContext } from './receiver-context.js';
import { sendAnswer } from '../../net/answer-unread.js';
import { prepareUnixSocket } from '../../net/unix-socket.js';
import { describeEndpoint } from '../../config/types.js';
import { capConnections, defaultMaxConnections } from '../../net/connection-limit.js';
import { ReceiverObsreport } from '../helper/obsreport.js';
import { expectedCost, memoryAdmission, memoryLimitError, parsedCost } from '../../processors/memory_limiter/admission.js';

/**
 * OTLP/HTTP on plain node:http: no framework, because the receiver must own body streaming
 * (byte limits that hold after decompression, aborting a gzip bomb mid-stream) and the exact
 * status code of every refusal; a framework's body parser would buffer first and decide later.
 */

/** How long shutdown waits for in-flight requests before cutting their connections. */
const SHUTDOWN_GRACE_MS = 30_000;

export class OtlpHttpServer {
  private server?: Server;
  private boundPort?: number;
  private closing?: Promise<void>;
  private readonly obs: ReceiverObsreport;
  private readonly cors?: CorsPolicy;

  constructor(
    private readonly config: OtlpHttpConfig,
    private readonly ctx: ReceiverContext,
    private readonly auth: ServerAuthenticator | undefined,
  ) {
    this.obs = new ReceiverObsreport(ctx.telemetry, ctx.id, 'http');
    if (config.cors && config.cors.allowed_origins.length > 0) this.cors = new CorsPolicy(config.cors);
  }

  get port(): number | undefined {
    return this.boundPort;
  }

  async start(): Promise<void> {
    // The last guard of "never crash": even if answering fails, drop the connection, not the process.
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res).catch(() => res.destroy());
    const tls = this.config.tls ? await loadServerTls(this.config.tls, `receivers.${this.ctx.id}.protocols.http.tls`) : undefined;
    const options = { ...serverTimeouts(this.config), ...tls };
    const server = tls ? createHttpsServer(options, handler) : createHttpServer(options, handler);
    if (this.config.idle_timeout !== undefined) server.keepAliveTimeout = this.config.idle_timeout;
    const maxConnections = this.config.max_connections ?? defaultMaxConnections();
    capConnections(server, { name: `${this.ctx.id}/http`, maxConnections, telemetry: this.ctx.telemetry, logger: this.ctx.logger });
    const { host, port, socketPath } = this.config.endpoint;
    const where = describeEndpoint(this.config.endpoint);
    const failed = (err: Error) => new GatewayError('COMPONENT_START_FAILED', `receivers.${this.ctx.id}: cannot listen for OTLP/HTTP on ${where}: ${err.message}`, { cause: err });
    if (socketPath !== undefined) await prepareUnixSocket(socketPath).catch((err: Error) => Promise.reject(failed(err)));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(failed(err)));
      if (socketPath !== undefined) server.listen(socketPath, () => resolve());
      else server.listen(port, host, () => resolve());
    });
    // Malformed requests (bad request line, oversized headers, header timeouts) are answered by
    // node:http itself with 400/431/408 and the connection closed; nothing reaches the handler.
    server.on('error', (err) => this.ctx.logger.error('OTLP/HTTP server error', { error: err.message }));
    this.server = server;
    this.boundPort = socketPath === undefined ? (server.address() as AddressInfo).port : 0;
    this.ctx.logger.info('OTLP/HTTP receiver listening', { endpoint: describeEndpoint(this.config.endpoint, this.port), tls: Boolean(tls) });
  }

  /** Stops accepting, lets in-flight requests finish (answering with `Connection: close`), idempotent. */
  shutdown(): Promise<void> {
    const server = this.server;
    if (!server) return Promise.resolve();
    this.closing ??= new Promise<void>((resolve) => {
      const force = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
      force.unref();
      server.close(() => {
        clearTimeout(force);
        resolve();
      });
      server.closeIdleConnections();
    });
    return this.closing;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for (const [name, value] of Object.entries(this.config.response_headers ?? {})) res.setHeader(name, value);
    if (this.cors) {
      if (this.cors.preflight(req, res)) return;
      this.cors.decorate(req, res);
    }
    const kind = parseMediaType(req.headers['content-type']);
    try {
      await this.route(req, res, kind);
    } catch (err) {
      // Never crash, never hang: whatever slipped through becomes a 503 the client can retry.
      this.ctx.logger.error('OTLP/HTTP request failed unexpectedly', { error: err instanceof Error ? err.message : String(err) });
      if (!res.headersSent) this.refuse(req, res, kind ?? 'json', refusalFor(err));
      else res.destroy();
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse, kind: MediaKind | undefined): Promise<void> {
    const reply = kind ?? 'json';
    const path = (req.url ?? '/').split('?', 1)[0];
    const signal = path === this.config.traces_url_path && this.ctx.traces ? 'traces' : path === this.config.metrics_url_path && this.ctx.metrics ? 'metrics' : undefined;
    if (path !== this.config.logs_url_path && !signal) return this.refuse(req, res, reply, { httpStatus: 404, message: `unknown path ${path}; OTLP logs are accepted at ${this.config.logs_url_path}` });
    if (req.method !== 'POST') return this.refuse(req, res, reply, { httpStatus: 405, message: `method ${req.method} not allowed; use POST` }, { Allow: 'POST' });
    if (!(await isAuthenticated(this.auth, req.headers))) return this.refuse(req, res, reply, { httpStatus: 401, message: 'missing or invalid credentials' });
    if (!kind) {
      return this.refuse(req, res, reply, {
        httpStatus: 415,
        message: `unsupported content type ${JSON.stringify(req.headers['content-type'] ?? '')}; use ${CONTENT_TYPE.proto} or ${CONTENT_TYPE.json}`,
      });
    }
    const encoding = parseContentEncoding(req.headers['content-encoding']);
    if (!encoding) return this.refuse(req, res, kind, { httpStatus: 415, message: `unsupported content encoding ${JSON.stringify(req.headers['content-encoding'])}; use gzip, deflate, zstd or none` });

    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > this.config.max_request_body_size) return this.refuse(req, res, kind, refusalFor(new BodyTooLargeError(this.config.max_request_body_size, false)));

    // Memory is reserved before the body is read: parsing is where a big JSON body costs (admission.ts).
    const reservation = memoryAdmission.tryReserve(expectedCost(declared, encoding !== 'identity', kind === 'json', this.config.max_request_body_size));
    if (!reservation) return this.refuse(req, res, kind, refusalFor(memoryLimitError()));
    try {
      let body: Buffer;
      try {
        const json = kind === 'json';
        body = await readBody(req, encoding, this.config.max_request_body_size, (bytes) => (reservation.growTo(parsedCost(bytes, json)) ? undefined : memoryLimitError()));
      } catch (err) {
        if (err instanceof BodyAbortedError) return void res.destroy();
        return this.refuse(req, res, kind, refusalFor(err));
      }
      // The streamed size replaces the estimate (an unsized or compressed body is known only now).
      if (!reservation.resize(parsedCost(body.byteLength, kind === 'json'))) return this.refuse(req, res, kind, refusalFor(memoryLimitError()));
      if (signal) await this.acceptSignal(req, res, kind, signal, body);
      else await this.decodeAndAccept(req, res, kind, body);
    } finally {
      reservation.release();
    }
  }

  /** Traces or metrics: walked (protobuf) or converted once (JSON), then handed on as bytes. */
  private async acceptSignal(req: IncomingMessage, res: ServerResponse, kind: MediaKind, signal: 'traces' | 'metrics', body: Buffer): Promise<void> {
    let request;
    try {
      request = parseSignal(signal, kind, body);
      if (this.config.include_metadata) request = { ...request, client: { address: req.socket.remoteAddress, metadata: metadataFromHeaders(req.headers) } };
    } catch (err) {
      const message = err instanceof GatewayError ? err.message : `request body is not a valid OTLP ${kind === 'proto' ? 'protobuf' : 'JSON'} export request`;
      return this.refuse(req, res, kind, { httpStatus: 400, message });
    }
    try {
      const consumer = signal === 'traces' ? this.ctx.traces! : this.ctx.metrics!;
      await consumeSignal(this.ctx.telemetry, { receiver: this.ctx.id, transport: 'http' }, consumer, request, responseSignal(res, 'the client closed the connection'));
    } catch (err) {
      const refusal = this.obs.refusal(err);
      this.ctx.logger.warn('OTLP/HTTP request refused downstream', { status: refusal.httpStatus, signal, items: request.items, error: refusal.message });
      return this.refuse(req, res, kind, refusal);
    }
    // An empty Export*ServiceResponse reads the same for every signal.
    this.send(res, 200, kind, exportResponseBody(kind, 0, ''));
  }

  private async decodeAndAccept(req: IncomingMessage, res: ServerResponse, kind: MediaKind, body: Buffer): Promise<void> {
    let filtered: AcceptableLogs;
    try {
      // Protobuf is walked, not decoded: it is decoded later only if something reads the records.
      filtered = kind === 'proto' ? acceptableFromProtobuf(body) : filterAcceptable(logsFromJson(body.toString('utf8')));
    } catch (err) {
      const message = err instanceof GatewayError ? err.message : `request body is not a valid OTLP ${kind === 'proto' ? 'protobuf' : 'JSON'} ExportLogsServiceRequest`;
      return this.refuse(req, res, kind, { httpStatus: 400, message });
    }
    // Unchanged request: OTLP exporters forward these bytes instead of encoding again, even after
    // something (a processor that only reads, another exporter) made the lazy request decode.
    if (kind === 'proto' && filtered.rejected === 0) rememberWireBytes(filtered.logs, body);
    // Only on request: the default path stays free of a per-request object.
    if (this.config.include_metadata) filtered.logs.client = { address: req.socket.remoteAddress, metadata: metadataFromHeaders(req.headers) };
    await this.accept(req, res, kind, filtered);
  }

  private async accept(req: IncomingMessage, res: ServerResponse, kind: MediaKind, filtered: AcceptableLogs): Promise<void> {
    this.obs.refused(filtered.rejected);
    if (filtered.accepted > 0) {
      try {
        await this.obs.track(filtered.accepted, () => this.ctx.next.consume(filtered.logs, responseSignal(res, 'the client closed the connection')));
      } catch (err) {
        const refusal = this.obs.refusal(err);
        this.ctx.logger.warn('OTLP/HTTP request refused downstream', { status: refusal.httpStatus, records: filtered.accepted, error: refusal.message });
        return this.refuse(req, res, kind, refusal);
      }
    }
    this.send(res, 200, kind, exportResponseBody(kind, filtered.rejected, filtered.errorMessage));
  }

  private refuse(req: IncomingMessage, res: ServerResponse, kind: MediaKind, refusal: Pick<Refusal, 'httpStatus' | 'message' | 'retryAfterMs'>, extra: Record<string, string> = {}): void {
    this.obs.requestRefused(refusal.httpStatus);
    const headers: Record<string, string> = { ...extra, 'Content-Type': CONTENT_TYPE[kind] };
    if (refusal.retryAfterMs !== undefined) headers['Retry-After'] = retryAfterSeconds(refusal.retryAfterMs);
    if (this.closing) headers.Connection = 'close';
    // An unread body is discarded (bounded) before the connection closes, so the client reads the status.
    sendAnswer(req, res, { status: refusal.httpStatus, headers, body: statusBody(kind, refusal.httpStatus, refusal.message) }, this.config.max_request_body_size);
  }

  private send(res: ServerResponse, status: number, kind: MediaKind, body: Uint8Array, headers: Record<string, string> = {}): void {
    // Once shutting down, an answered connection has nothing left to wait for: let node close it.
    if (this.closing) headers.Connection = 'close';
    res.writeHead(status, { ...headers, 'Content-Type': CONTENT_TYPE[kind], 'Content-Length': String(body.byteLength) });
    res.end(body);
  }
}

/** Node's defaults (http.createServer), needed to keep headersTimeout ≤ requestTimeout as Node demands. */
const NODE_REQUEST_TIMEOUT_MS = 300_000;
const NODE_HEADERS_TIMEOUT_MS = 60_000;

/** `read_timeout` / `read_header_timeout` as node:http options; unset keys keep Node's defaults. */
export function serverTimeouts(config: Pick<OtlpHttpConfig, 'read_timeout' | 'read_header_timeout'>): { requestTimeout?: number; headersTimeout?: number } {
  const requestTimeout = config.read_timeout ?? NODE_REQUEST_TIMEOUT_MS;
  // Go reads headers within read_timeout when read_header_timeout is 0 or unset; Node wants the same bound.
  let headersTimeout = config.read_header_timeout || NODE_HEADERS_TIMEOUT_MS;
  if (requestTimeout > 0) headersTimeout = Math.min(headersTimeout, requestTimeout);
  return { requestTimeout, headersTimeout };
}
