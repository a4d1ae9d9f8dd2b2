import type { Server } from 'node:net';
import { createSecureServer, createServer, type Http2SecureServer, type Http2Server, type Http2Session, type SecureServerOptions, type Settings } from 'node:http2';
import { UnaryCall, type CallSettings } from './unary-call.js';

/**
 * A gRPC server for unary methods on node:http2: what the OTLP/gRPC receiver serves
 * `LogsService/Export` with. It replaced @grpc/grpc-js's server, which kept each finished call
 * and its request message reachable until a full GC when the handler's answer came after a
 * timer: 14–17 full GCs in 15 s and an ack p99 of 25–63 ms at 1000 requests/s, against 0–3 and
 * 4–8 ms for the same load over OTLP/HTTP (BENCHMARKS.md, "OTLP/gRPC on node:http2"). A call
 * here is one small object that drops everything when it ends (unary-call.ts).
 *
 * HTTP/2 itself (flow control, PING answers, SETTINGS, GOAWAY) is Node's nghttp2.
 */

export interface UnaryServerOptions extends CallSettings {
  /** TLS material; `requestCert` + `ca` + `rejectUnauthorized` make it mutual TLS. */
  tls?: Pick<SecureServerOptions, 'cert' | 'key' | 'ca' | 'requestCert' | 'rejectUnauthorized' | 'minVersion' | 'maxVersion'>;
}

/**
 * HTTP/2's default flow-control windows (64 KiB), as grpc-js's server. Larger ones (1 MiB per
 * stream, 8 MiB per connection) were measured worse: under load a grpc-js client then pushed
 * every queued call into its session at once, overran its own session memory ("Session closed
 * with error code 2", INTERNAL) and the gateway held all those calls at once; the default window
 * makes the client wait instead (BENCHMARKS.md, "OTLP/gRPC on node:http2"). No cap on concurrent
 * calls per connection, as grpc-go: a cap of 100 made grpc-js clients that opened more calls
 * before our SETTINGS arrived get REFUSED_STREAM (UNAVAILABLE).
 */
const SETTINGS: Settings = {};
/** nghttp2's buffered-frame budget per connection; Node's 10 MB default refuses bursts of large calls. */
const MAX_SESSION_MEMORY_MB = 64;
/**
 * Server keepalive as grpc-go's defaults (the Collector's unless configured): after 2 h without
 * traffic a PING, and a connection that does not answer within 20 s is closed. Client PINGs are
 * answered by nghttp2 at any rate (no "too_many_pings" policing).
 */
const KEEPALIVE_TIME_MS = 2 * 60 * 60 * 1000;
const KEEPALIVE_TIMEOUT_MS = 20_000;

export class GrpcUnaryServer {
  private readonly server: Http2Server | Http2SecureServer;
  private readonly sessions = new Set<Http2Session>();
  private closing?: Promise<void>;

  constructor(private readonly options: UnaryServerOptions) {
    const base = { settings: SETTINGS, maxSessionMemory: MAX_SESSION_MEMORY_MB };
    this.server = options.tls ? createSecureServer({ ...base, ...options.tls, allowHTTP1: false }) : createServer(base);
    this.server.on('stream', (stream, headers) => new UnaryCall(stream, options).serve(headers));
    this.server.on('session', (session) => this.track(session));
    // Handshake failures and broken connections are the client's; they must not end the server.
    this.server.on('sessionError', noop);
    this.server.on('tlsClientError', noop);
  }

  /** The listening socket server, for connection limits (`max_connections`). */
  get netServer(): Server {
    return this.server;
  }

  /** Binds (to `socketPath` when given); resolves with the bound port (the real one for port 0; 0 on a socket). */
  listen(host: string, port: number, socketPath?: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once('error', onError);
      const bound = () => {
        this.server.off('error', onError);
        this.server.on('error', noop);
        const address = this.server.address();
        resolve(typeof address === 'object' && address ? address.port : socketPath === undefined ? port : 0);
      };
      if (socketPath !== undefined) this.server.listen(socketPath, bound);
      else this.server.listen(port, host, bound);
    });
  }

  /**
   * Stops accepting connections, sends GOAWAY so clients open no new calls, lets calls in
   * flight finish, and after `graceMs` destroys what is left (those calls end CANCELLED).
   */
  close(graceMs: number): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      if (!this.server.listening) return resolve();
      const force = setTimeout(() => {
        for (const session of this.sessions) session.destroy();
      }, graceMs);
      force.unref();
      this.server.close(() => {
        clearTimeout(force);
        resolve();
      });
      for (const session of this.sessions) session.close();
    });
    return this.closing;
  }

  private track(session: Http2Session): void {
    this.sessions.add(session);
    session.once('close', () => this.sessions.delete(session));
    session.on('error', noop);
    if (this.closing) return void session.close();
    session.setTimeout(KEEPALIVE_TIME_MS, () => keepalivePing(session));
  }
}

function keepalivePing(session: Http2Session): void {
  if (session.closed || session.destroyed) return;
  const timer = setTimeout(() => session.destroy(), KEEPALIVE_TIMEOUT_MS);
  timer.unref();
  const sent = session.ping((err) => {
    clearTimeout(timer);
    if (err) session.destroy();
  });
  if (!sent) clearTimeout(timer);
}

function noop(): void {}
