import { Server, ServerCredentials, status as GrpcStatus, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { requestSignal } from '../../pipeline/cancellation.js';
import { GatewayError } from '../../errors.js';
import { rawLogsServiceDefinition } from '../../pdata/grpc.js';
import type { ExportResponseInit } from '../../pdata/proto.js';
import { retryInfoMetadata } from '../../pdata/rpc-status.js';
import { rememberWireBytes } from '../../pdata/wire-bytes.js';
import { isAuthenticated, metadataToHeaders, type ServerAuthenticator } from './auth.js';
import type { OtlpGrpcConfig } from './config.js';
import { acceptableFromProtobuf, type AcceptableLogs } from './partial-success.js';
import type { ReceiverContext } from './receiver-context.js';
import { refusalFor, UNEXPECTED_MESSAGE, type Refusal } from './refusal.js';
import { grpcServerCredentials } from './grpc-tls.js';
import { loadServerTls } from './tls.js';

/**
 * OTLP/gRPC: opentelemetry.proto.collector.logs.v1.LogsService/Export on @grpc/grpc-js, which
 * handles HTTP/2, `grpc-encoding: gzip` and the receive limit (checked after decompression too).
 */

/** How long shutdown waits for in-flight calls before cancelling them. */
const SHUTDOWN_GRACE_MS = 30_000;
const BYTES_PER_MIB = 1024 * 1024;

type GrpcRefusal = Pick<Refusal, 'grpcCode' | 'message' | 'retryAfterMs'>;
type ExportCall = ServerUnaryCall<Uint8Array, ExportResponseInit>;
type ExportDone = sendUnaryData<ExportResponseInit>;

export class OtlpGrpcServer {
  private server?: Server;
  private boundPort?: number;
  private closing?: Promise<void>;

  constructor(
    private readonly config: OtlpGrpcConfig,
    private readonly ctx: ReceiverContext,
    private readonly auth: ServerAuthenticator | undefined,
  ) {}

  get port(): number | undefined {
    return this.boundPort;
  }

  async start(): Promise<void> {
    const server = new Server({ 'grpc.max_receive_message_length': Math.floor(this.config.max_recv_msg_size_mib * BYTES_PER_MIB) });
    // The raw definition hands us the request bytes: grpc-js would answer a request it cannot
    // deserialize with INTERNAL, while OTLP wants INVALID_ARGUMENT for a malformed message.
    server.addService(rawLogsServiceDefinition, {
      // The last guard of "never crash": if even the refusal path throws, still answer the call.
      Export: (call: ExportCall, done: ExportDone) => void this.export(call, done).catch(() => done({ code: GrpcStatus.UNAVAILABLE, details: UNEXPECTED_MESSAGE })),
    });

    const tls = this.config.tls ? await loadServerTls(this.config.tls, `receivers.${this.ctx.id}.protocols.grpc.tls`) : undefined;
    const credentials = tls ? grpcServerCredentials(tls) : ServerCredentials.createInsecure();
    const { host, port } = this.config.endpoint;
    const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    this.boundPort = await new Promise<number>((resolve, reject) =>
      server.bindAsync(address, credentials, (err, bound) =>
        err
          ? reject(new GatewayError('COMPONENT_START_FAILED', `receivers.${this.ctx.id}: cannot listen for OTLP/gRPC on ${address}: ${err.message}`, { cause: err }))
          : resolve(bound),
      ),
    );
    this.server = server;
    this.ctx.logger.info('OTLP/gRPC receiver listening', { endpoint: `${host}:${this.boundPort}`, tls: Boolean(tls) });
  }

  /** Stops accepting, lets in-flight calls finish, idempotent. */
  shutdown(): Promise<void> {
    const server = this.server;
    if (!server) return Promise.resolve();
    this.closing ??= new Promise<void>((resolve) => {
      const force = setTimeout(() => server.forceShutdown(), SHUTDOWN_GRACE_MS);
      force.unref();
      server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
    return this.closing;
  }

  private async export(call: ExportCall, done: ExportDone): Promise<void> {
    try {
      await this.handle(call, done);
    } catch (err) {
      // Never crash, never hang: anything unforeseen is an UNAVAILABLE the client may retry.
      this.ctx.logger.error('OTLP/gRPC export failed unexpectedly', { error: err instanceof Error ? err.message : String(err) });
      this.refuse(done, refusalFor(err));
    }
  }

  private async handle(call: ExportCall, done: ExportDone): Promise<void> {
    if (!(await isAuthenticated(this.auth, metadataToHeaders(call.metadata)))) {
      return this.refuse(done, { grpcCode: GrpcStatus.UNAUTHENTICATED, message: 'missing or invalid credentials' });
    }
    let filtered: AcceptableLogs;
    try {
      // Walked, not decoded: decoded later only if something downstream reads the records.
      filtered = acceptableFromProtobuf(call.request);
    } catch (err) {
      const message = err instanceof GatewayError ? err.message : 'request is not a valid ExportLogsServiceRequest';
      return this.refuse(done, { grpcCode: GrpcStatus.INVALID_ARGUMENT, message });
    }
    // Unchanged request: OTLP exporters forward these bytes instead of encoding again.
    if (filtered.rejected === 0) rememberWireBytes(filtered.logs, call.request);

    const labels = { receiver: this.ctx.id, transport: 'grpc' };
    if (filtered.rejected > 0) this.ctx.telemetry.receiverRefused.inc(labels, filtered.rejected);
    if (filtered.accepted > 0) {
      try {
        await this.ctx.next.consume(filtered.logs, requestSignal(call, 'cancelled', 'the client cancelled the call'));
      } catch (err) {
        const refusal = refusalFor(err);
        this.ctx.logger.warn('OTLP/gRPC export refused downstream', { status: GrpcStatus[refusal.grpcCode], records: filtered.accepted, error: err instanceof Error ? err.message : String(err) });
        this.ctx.telemetry.receiverRefused.inc(labels, filtered.accepted);
        return this.refuse(done, refusal);
      }
      this.ctx.telemetry.receiverAccepted.inc(labels, filtered.accepted);
    }
    done(null, filtered.rejected > 0 ? { rejectedLogRecords: filtered.rejected, errorMessage: filtered.errorMessage } : {});
  }

  private refuse(done: ExportDone, refusal: GrpcRefusal): void {
    this.ctx.telemetry.receiverRequestsRefused.inc({ receiver: this.ctx.id, transport: 'grpc', status: GrpcStatus[refusal.grpcCode] });
    done({
      code: refusal.grpcCode,
      details: refusal.message,
      metadata: refusal.retryAfterMs !== undefined ? retryInfoMetadata(refusal.retryAfterMs, { code: refusal.grpcCode, message: refusal.message }) : undefined,
    });
  }
}
