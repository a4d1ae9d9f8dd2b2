import type { Component, CreateSettings, Host, LogsConsumer, ReceiverConsumers } from '../../pipeline/component.js';
import { resolveAuthenticator } from './auth.js';
import { IGNORED_PROTOCOL_KEYS, type OtlpReceiverConfig } from './config.js';
import { OtlpGrpcServer } from './grpc-server.js';
import { OtlpHttpServer } from './http-server.js';
import type { ReceiverContext } from './receiver-context.js';

/**
 * The `otlp` receiver: OTLP/gRPC and OTLP/HTTP front doors for one pipeline. Every request is
 * acknowledged only after `next.consume` resolved, i.e. once the data is durably queued downstream.
 */
export class OtlpReceiver implements Component {
  private http?: OtlpHttpServer;
  private grpc?: OtlpGrpcServer;
  private readonly ctx: ReceiverContext;
  private stopping?: Promise<void>;

  constructor(
    settings: CreateSettings,
    private readonly config: OtlpReceiverConfig,
    next: LogsConsumer,
    consumers: ReceiverConsumers = {},
  ) {
    this.ctx = { id: settings.id, telemetry: settings.telemetry, logger: settings.logger.child({ component: settings.id }), next, traces: consumers.traces, metrics: consumers.metrics };
  }

  /** The bound OTLP/HTTP port (the real one when configured as port 0); undefined when not listening. */
  get httpPort(): number | undefined {
    return this.http?.port;
  }

  /** The bound OTLP/gRPC port (the real one when configured as port 0); undefined when not listening. */
  get grpcPort(): number | undefined {
    return this.grpc?.port;
  }

  async start(host: Host): Promise<void> {
    const { grpc, http } = this.config.protocols;
    for (const [protocol, block] of Object.entries({ grpc, http })) {
      const ignored = IGNORED_PROTOCOL_KEYS.filter((k) => block && (block as Record<string, unknown>)[k] !== undefined);
      if (ignored.length > 0) this.ctx.logger.info('Collector keys with no effect on a logs gateway are ignored', { protocol, keys: ignored.join(',') });
    }
    // Resolve authenticators before opening any port, so a bad reference leaves nothing half-started.
    const grpcAuth = grpc?.auth ? resolveAuthenticator(host, grpc.auth.authenticator, this.ctx.id, 'grpc') : undefined;
    const httpAuth = http?.auth ? resolveAuthenticator(host, http.auth.authenticator, this.ctx.id, 'http') : undefined;
    try {
      if (grpc) {
        this.grpc = new OtlpGrpcServer(grpc, this.ctx, grpcAuth);
        await this.grpc.start();
      }
      if (http) {
        this.http = new OtlpHttpServer(http, this.ctx, httpAuth);
        await this.http.start();
      }
    } catch (err) {
      await this.shutdown();
      throw err;
    }
  }

  shutdown(): Promise<void> {
    this.stopping ??= Promise.all([this.http?.shutdown(), this.grpc?.shutdown()]).then(() => undefined);
    return this.stopping;
  }
}
