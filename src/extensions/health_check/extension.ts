import type http from 'node:http';
import { startHttpServer, type KitServer } from '../../net/http-server.js';
import type { Component, CreateSettings, Host } from '../../pipeline/component.js';
import type { HealthCheckConfig } from './config.js';

export type GatewayState = 'starting' | 'ready' | 'stopping';

/**
 * Answers `GET <path>` with 200 while the gateway is ready and 503 while it starts or stops, so
 * load balancers and Kubernetes probes send traffic only to a replica that can take it. The
 * pipeline reports its state through `setStatus`. Bodies follow the Collector's health_check:
 * `{"status":"Server available","upSince":…,"uptime":…}`.
 */
export class HealthCheckExtension implements Component {
  private server: KitServer | undefined;
  private state: GatewayState = 'starting';
  private readySince: Date | undefined;

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: HealthCheckConfig,
  ) {}

  /** Called by the pipeline: `ready` once every component started, `stopping` when shutdown begins. */
  setStatus(state: GatewayState): void {
    if (state === 'ready' && this.state !== 'ready') this.readySince = new Date();
    this.state = state;
  }

  get status(): GatewayState {
    return this.state;
  }

  /** The bound port (useful with port 0). */
  get port(): number {
    return this.server?.port ?? 0;
  }

  async start(_host: Host): Promise<void> {
    this.server = await startHttpServer({
      name: this.settings.id,
      keyPath: `extensions.${this.settings.id}`,
      endpoint: this.config.endpoint,
      tls: this.config.tls,
      maxConnections: this.config.max_connections,
      // A probe waits on a stopping gateway only briefly: it is told 503 until then.
      shutdownGraceMs: 0,
      telemetry: this.settings.telemetry,
      logger: this.settings.logger,
      handler: (req, res) => this.handle(req, res),
    });
    this.settings.logger.info('health check listening', { endpoint: `${this.config.endpoint.host}:${this.port}`, path: this.config.path, tls: this.server.tls });
  }

  async shutdown(): Promise<void> {
    this.state = 'stopping';
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await server.shutdown();
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const pathname = (req.url ?? '/').split('?')[0];
    if (pathname !== this.config.path) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    const healthy = this.state === 'ready';
    const custom = this.config.response_body;
    const body = custom ? (healthy ? custom.healthy : custom.unhealthy) : JSON.stringify(this.document(healthy));
    res.writeHead(healthy ? 200 : 503, { 'content-type': custom ? 'text/plain; charset=utf-8' : 'application/json' });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  private document(healthy: boolean) {
    const since = healthy && this.readySince ? this.readySince : undefined;
    return {
      status: healthy ? 'Server available' : 'Server not available',
      state: this.state,
      upSince: since ? since.toISOString() : '0001-01-01T00:00:00Z',
      uptime: since ? `${((Date.now() - since.getTime()) / 1000).toFixed(3)}s` : '',
    };
  }
}
