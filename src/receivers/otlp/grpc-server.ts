import { GatewayError } from '../../errors.js';
import { capConnections, defaultMaxConnections } from '../../net/connection-limit.js';
import { prepareUnixSocket } from '../../net/unix-socket.js';
import { describeEndpoint } from '../../config/types.js';
import { expectedCost, memoryAdmission, memoryLimitError, parsedCost } from '../../processors/memory_limiter/admission.js';
import { LazyLogs } from '../../pdata/lazy-logs.js';
import { encodeExportResponse } from '../../pdata/proto.js';
import { rememberWireBytes } from '../../pdata/wire-bytes.js';
import { GrpcCode, grpcCodeName } from '../../transport/grpc/codes.js';
import { LOGS_EXPORT_PATH } from '../../transport/grpc/logs-service.js';
import type { CallHeaders, GrpcStatusReply, MessageReservation, UnaryMethod, UnaryReply } from '../../transport/grpc/unary-call.js';
import { GrpcUnaryServer } from '../../transport/grpc/unary-server.js';
import { encodeRetryStatus } from '../../transport/rpc-status.js';
import { ReceiverObsreport } from '../helper/obsreport.js';
import { isAuthenticated, type ServerAuthenticator } from './auth.js';
import type { OtlpGrpcConfig } from './config.js';
import { metadataFromHeaders } from '../../pdata/client-info.js';
import { acceptableFromProtobuf, type AcceptableLogs } from './partial-success.js';
import type { ReceiverContext } from './receiver-context.js';
import { refusalFor, type Refusal } from './refusal.js';
import { loadServerTls } from './tls.js';
import { consumeSignal, parseSignal } from './signal-export.js';
import { METRICS_EXPORT_PATH, TRACES_EXPORT_PATH } from '../../transport/grpc/signal-services.js';
import type { SignalConsumer } from '../../pipeline/component.js';

/**
 * OTLP/gRPC: opentelemetry.proto.collector.logs.v1.LogsService/Export, served by the gateway's
 * own unary gRPC server on node:http2 (transport/grpc/unary-server.ts says why not grpc-js),
 * which handles framing, `grpc-encoding` gzip/deflate, the receive limit (after decompression
 * too), `grpc-timeout` and TLS. This file is the OTLP part: connection cap, auth, memory
 * admission, walk, consume, answer.
 */

/** How long shutdown waits for in-flight calls before cancelling them. */
const SHUTDOWN_GRACE_MS = 30_000;
const BYTES_PER_MIB = 1024 * 1024;
const EMPTY_RESPONSE = encodeExportResponse({});

type GrpcRefusal = Pick<Refusal, 'grpcCode' | 'message' | 'retryAfterMs'>;

export class OtlpGrpcServer {
  private server?: GrpcUnaryServer;
  private boundPort?: number;
  private readonly obs: ReceiverObsreport;
  private readonly maxRecvMessageBytes: number;

  constructor(
    private readonly config: OtlpGrpcConfig,
    private readonly ctx: ReceiverContext,
    private readonly auth: ServerAuthenticator | undefined,
  ) {
    this.obs = new ReceiverObsreport(ctx.telemetry, ctx.id, 'grpc');
    this.maxRecvMessageBytes = Math.floor(config.max_recv_msg_size_mib * BYTES_PER_MIB);
  }

  get port(): number | undefined {
    return this.boundPort;
  }

  async start(): Promise<void> {
    const tls = this.config.tls ? await loadServerTls(this.config.tls, `receivers.${this.ctx.id}.protocols.grpc.tls`) : undefined;
    const exportMethod: UnaryMethod = {
      admit: this.auth ? (headers) => this.admit(headers) : undefined,
      reserve: (bytes, compressed) => this.reserveMemory(bytes, compressed),
      handle: (message, call) => this.export(message, call.signal, call.headers),
    };
    const methods = new Map([[LOGS_EXPORT_PATH, exportMethod]]);
    for (const [signal, path] of [['traces', TRACES_EXPORT_PATH], ['metrics', METRICS_EXPORT_PATH]] as const) {
      const consumer = this.ctx[signal];
      if (!consumer) continue;
      methods.set(path, { ...exportMethod, handle: (message, call) => this.exportSignal(signal, consumer, message, call.signal, call.headers) });
    }
    const server = new GrpcUnaryServer({
      methods,
      maxRecvMessageBytes: this.maxRecvMessageBytes,
      tls,
      onRefused: (code) => this.obs.requestRefused(grpcCodeName(code)),
      onHandlerError: (err) => this.ctx.logger.error('OTLP/gRPC export failed unexpectedly', { error: err instanceof Error ? err.message : String(err) }),
    });
    const { host, port, socketPath } = this.config.endpoint;
    const address = describeEndpoint(this.config.endpoint);
    const maxConnections = this.config.max_connections ?? defaultMaxConnections();
    capConnections(server.netServer, { name: `${this.ctx.id}/grpc`, maxConnections, telemetry: this.ctx.telemetry, logger: this.ctx.logger });
    try {
      if (socketPath !== undefined) await prepareUnixSocket(socketPath);
      this.boundPort = await server.listen(host, port, socketPath);
    } catch (err) {
      throw new GatewayError('COMPONENT_START_FAILED', `receivers.${this.ctx.id}: cannot listen for OTLP/gRPC on ${address}: ${(err as Error).message}`, { cause: err });
    }
    this.server = server;
    this.ctx.logger.info('OTLP/gRPC receiver listening', { endpoint: describeEndpoint(this.config.endpoint, this.boundPort), tls: Boolean(tls) });
  }

  /** Stops accepting, lets in-flight calls finish (up to the grace period), idempotent. */
  shutdown(): Promise<void> {
    return this.server?.close(SHUTDOWN_GRACE_MS) ?? Promise.resolve();
  }

  private async admit(headers: CallHeaders): Promise<GrpcStatusReply | undefined> {
    if (await isAuthenticated(this.auth, headers)) return undefined;
    return { code: GrpcCode.UNAUTHENTICATED, message: 'missing or invalid credentials' };
  }

  /**
   * Memory is reserved from the length prefix, before the message is read (processors/
   * memory_limiter/admission.ts says why); refused with RESOURCE_EXHAUSTED + RetryInfo, as a
   * memory_limiter refusal downstream is. The call releases it once the export is answered.
   */
  private reserveMemory(messageBytes: number, compressed: boolean): MessageReservation | GrpcStatusReply {
    const reservation = memoryAdmission.tryReserve(expectedCost(messageBytes, compressed, false, this.maxRecvMessageBytes));
    if (!reservation) return memoryRefusal();
    return {
      // A compressed message's real size is known only once inflated: the guess is corrected then.
      inflated: (bytes) => (reservation.resize(parsedCost(bytes, false)) ? undefined : memoryRefusal()),
      release: () => reservation.release(),
    };
  }

  /** Traces or metrics: walked, never decoded, handed on as the bytes received. */
  private async exportSignal(signal: 'traces' | 'metrics', consumer: SignalConsumer, message: Uint8Array, abort: AbortSignal, headers: CallHeaders): Promise<UnaryReply> {
    let request;
    try {
      request = parseSignal(signal, 'proto', message);
      if (this.config.include_metadata) request = { ...request, client: { metadata: metadataFromHeaders(headers) } };
    } catch (err) {
      return refused({ grpcCode: GrpcCode.INVALID_ARGUMENT, message: err instanceof GatewayError ? err.message : `request is not a valid ${signal} export request` });
    }
    try {
      await consumeSignal(this.ctx.telemetry, { receiver: this.ctx.id, transport: 'grpc' }, consumer, request, abort);
    } catch (err) {
      const refusal = this.obs.refusal(err);
      this.ctx.logger.warn('OTLP/gRPC export refused downstream', { status: grpcCodeName(refusal.grpcCode), signal, items: request.items, error: refusal.message });
      return refused(refusal);
    }
    return { response: EMPTY_RESPONSE };
  }

  /** `signal` aborts when the client cancels or the deadline passes: a waiting request then ends unacknowledged. */
  private async export(message: Uint8Array, signal: AbortSignal, headers: CallHeaders): Promise<UnaryReply> {
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

    if (this.config.include_metadata) filtered.logs.client = { metadata: metadataFromHeaders(headers) };
    this.obs.refused(filtered.rejected);
    if (filtered.accepted > 0) {
      try {
        await this.obs.track(filtered.accepted, () => this.ctx.next.consume(filtered.logs, signal));
      } catch (err) {
        const refusal = this.obs.refusal(err);
        this.ctx.logger.warn('OTLP/gRPC export refused downstream', { status: grpcCodeName(refusal.grpcCode), records: filtered.accepted, error: refusal.message });
        return refused(refusal);
      }
    }
    if (filtered.rejected === 0) return { response: EMPTY_RESPONSE };
    return { response: encodeExportResponse({ rejectedLogRecords: filtered.rejected, errorMessage: filtered.errorMessage }) };
  }
}

function memoryRefusal(): GrpcStatusReply {
  return refusedStatus(refusalFor(memoryLimitError()));
}

/** The answer for a refusal, with google.rpc.RetryInfo when the client should come back later. */
function refused(refusal: GrpcRefusal): UnaryReply {
  return { status: refusedStatus(refusal) };
}

function refusedStatus(refusal: GrpcRefusal): GrpcStatusReply {
  const { grpcCode: code, message, retryAfterMs } = refusal;
  return { code, message, details: retryAfterMs !== undefined ? encodeRetryStatus(retryAfterMs, { code, message }) : undefined };
}
