import { GatewayError } from '../../errors.js';
import { LazyLogs } from '../../pdata/lazy-logs.js';
import { encodeExportResponse } from '../../pdata/proto.js';
import { rememberWireBytes } from '../../pdata/wire-bytes.js';
import { GrpcCode, grpcCodeName } from '../../transport/grpc/codes.js';
import { LOGS_EXPORT_PATH } from '../../transport/grpc/logs-service.js';
import type { CallHeaders, GrpcStatusReply, UnaryMethod, UnaryReply } from '../../transport/grpc/unary-call.js';
import { GrpcUnaryServer } from '../../transport/grpc/unary-server.js';
import { encodeRetryStatus } from '../../transport/rpc-status.js';
import { isAuthenticated, type ServerAuthenticator } from './auth.js';
import type { OtlpGrpcConfig } from './config.js';
import { acceptableFromProtobuf, type AcceptableLogs } from './partial-success.js';
import type { ReceiverContext } from './receiver-context.js';
import { refusalFor, type Refusal } from './refusal.js';
import { loadServerTls } from './tls.js';

/**
 * OTLP/gRPC: opentelemetry.proto.collector.logs.v1.LogsService/Export, served by the gateway's
 * own unary gRPC server on node:http2 (transport/grpc/unary-server.ts says why not grpc-js),
 * which handles framing, `grpc-encoding` gzip/deflate, the receive limit (after decompression
 * too), `grpc-timeout` and TLS. This file is the OTLP part: auth, walk, consume, answer.
 */

/** How long shutdown waits for in-flight calls before cancelling them. */
const SHUTDOWN_GRACE_MS = 30_000;
const BYTES_PER_MIB = 1024 * 1024;
const EMPTY_RESPONSE = encodeExportResponse({});

type GrpcRefusal = Pick<Refusal, 'grpcCode' | 'message' | 'retryAfterMs'>;

export class OtlpGrpcServer {
  private server?: GrpcUnaryServer;
  private boundPort?: number;

  constructor(
    private readonly config: OtlpGrpcConfig,
    private readonly ctx: ReceiverContext,
    private readonly auth: ServerAuthenticator | undefined,
  ) {}

  get port(): number | undefined {
    return this.boundPort;
  }

  async start(): Promise<void> {
    const tls = this.config.tls ? await loadServerTls(this.config.tls, `receivers.${this.ctx.id}.protocols.grpc.tls`) : undefined;
    const labels = { receiver: this.ctx.id, transport: 'grpc' };
    const exportMethod: UnaryMethod = {
      admit: this.auth ? (headers) => this.admit(headers) : undefined,
      handle: (message, call) => this.export(message, call.signal),
    };
    const server = new GrpcUnaryServer({
      methods: new Map([[LOGS_EXPORT_PATH, exportMethod]]),
      maxRecvMessageBytes: Math.floor(this.config.max_recv_msg_size_mib * BYTES_PER_MIB),
      tls,
      onRefused: (code) => this.ctx.telemetry.receiverRequestsRefused.inc({ ...labels, status: grpcCodeName(code) }),
      onHandlerError: (err) => this.ctx.logger.error('OTLP/gRPC export failed unexpectedly', { error: err instanceof Error ? err.message : String(err) }),
    });
    const { host, port } = this.config.endpoint;
    const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    try {
      this.boundPort = await server.listen(host, port);
    } catch (err) {
      throw new GatewayError('COMPONENT_START_FAILED', `receivers.${this.ctx.id}: cannot listen for OTLP/gRPC on ${address}: ${(err as Error).message}`, { cause: err });
    }
    this.server = server;
    this.ctx.logger.info('OTLP/gRPC receiver listening', { endpoint: `${host}:${this.boundPort}`, tls: Boolean(tls) });
  }

  /** Stops accepting, lets in-flight calls finish (up to the grace period), idempotent. */
  shutdown(): Promise<void> {
    return this.server?.close(SHUTDOWN_GRACE_MS) ?? Promise.resolve();
  }

  private async admit(headers: CallHeaders): Promise<GrpcStatusReply | undefined> {
    if (await isAuthenticated(this.auth, headers)) return undefined;
    return { code: GrpcCode.UNAUTHENTICATED, message: 'missing or invalid credentials' };
  }

  /** `signal` aborts when the client cancels or the deadline passes: a waiting request then ends unacknowledged. */
  private async export(message: Uint8Array, signal: AbortSignal): Promise<UnaryReply> {
    let filtered: AcceptableLogs;
    try {
      // Walked, not decoded: decoded later only if something downstream reads the records.
      filtered = acceptableFromProtobuf(message);
    } catch (err) {
      const text = err instanceof GatewayError ? err.message : 'request is not a valid ExportLogsServiceRequest';
      return refused({ grpcCode: GrpcCode.INVALID_ARGUMENT, message: text });
    }
    // Unchanged request: OTLP exporters forward these bytes instead of encoding again. A LazyLogs
    // (the usual case) carries them itself; a WeakMap entry per request would only cost GC work.
    if (filtered.rejected === 0 && !(filtered.logs instanceof LazyLogs)) rememberWireBytes(filtered.logs, message);

    const labels = { receiver: this.ctx.id, transport: 'grpc' };
    if (filtered.rejected > 0) this.ctx.telemetry.receiverRefused.inc(labels, filtered.rejected);
    if (filtered.accepted > 0) {
      try {
        await this.ctx.next.consume(filtered.logs, signal);
      } catch (err) {
        const refusal = refusalFor(err);
        this.ctx.logger.warn('OTLP/gRPC export refused downstream', { status: grpcCodeName(refusal.grpcCode), records: filtered.accepted, error: err instanceof Error ? err.message : String(err) });
        this.ctx.telemetry.receiverRefused.inc(labels, filtered.accepted);
        return refused(refusal);
      }
      this.ctx.telemetry.receiverAccepted.inc(labels, filtered.accepted);
    }
    if (filtered.rejected === 0) return { response: EMPTY_RESPONSE };
    return { response: encodeExportResponse({ rejectedLogRecords: filtered.rejected, errorMessage: filtered.errorMessage }) };
  }
}

/** The answer for a refusal, with google.rpc.RetryInfo when the client should come back later. */
function refused(refusal: GrpcRefusal): UnaryReply {
  const { grpcCode: code, message, retryAfterMs } = refusal;
  return { status: { code, message, details: retryAfterMs !== undefined ? encodeRetryStatus(retryAfterMs, { code, message }) : undefined } };
}
