import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from '../net/http-error.js';
import { startHttpServer, type KitServer } from '../net/http-server.js';
import type { Logger } from './logger.js';
import type { Telemetry } from './telemetry.js';

/** Serves the Prometheus text exposition of the gateway's own metrics on GET /metrics (through the server kit). */
export class MetricsServer {
  private server?: KitServer;

  constructor(
    private readonly telemetry: Telemetry,
    private readonly host: string,
    private readonly portWanted: number,
    private readonly logger: Logger,
  ) {}

  get port(): number | undefined {
    return this.server?.port;
  }

  /** Rejects with COMPONENT_START_FAILED naming `service.telemetry.metrics` when it cannot listen. */
  async start(): Promise<void> {
    this.server = await startHttpServer({
      name: 'metrics',
      keyPath: 'service.telemetry.metrics',
      endpoint: { host: this.host, port: this.portWanted },
      // A scrape in flight is not worth delaying the stop for.
      shutdownGraceMs: 0,
      telemetry: this.telemetry,
      logger: this.logger,
      handler: (req, res) => this.handle(req, res),
    });
  }

  async shutdown(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    await s?.shutdown();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' || (req.url ?? '/').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: metrics are served on GET /metrics\n');
      return;
    }
    let text: string;
    try {
      text = await this.telemetry.metrics();
    } catch (err) {
      // A failing collect callback is ours, not the scraper's: 503 so it retries, details in our log.
      this.logger.error('metrics collection failed', { error: (err as Error).message });
      throw new HttpError(503, 'metrics collection failed; retry later');
    }
    res.writeHead(200, { 'content-type': this.telemetry.registry.contentType }).end(text);
  }
}
