import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Telemetry } from './telemetry.js';

/** Serves the Prometheus text exposition of the gateway's own metrics on GET /metrics. */
export class MetricsServer {
  private server?: Server;

  constructor(
    private readonly telemetry: Telemetry,
    private readonly host: string,
    private readonly portWanted: number,
  ) {}

  get port(): number | undefined {
    return (this.server?.address() as AddressInfo | null)?.port;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '/').split('?')[0] !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: metrics are served on GET /metrics\n');
        return;
      }
      this.telemetry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.telemetry.registry.contentType }).end(text),
        (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics collection failed: ${err.message}\n`),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.portWanted, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
  }

  async shutdown(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }
}
