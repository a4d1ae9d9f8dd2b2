import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_RETRY_AFTER_MS, GatewayError, isPermanent, isRetryable } from '../../errors.js';
import { countLogRecords, type Logs } from '../../pdata/model.js';
import type { LogsConsumer } from '../../pipeline/component.js';
import { requestSignal } from '../../pipeline/cancellation.js';
import type { Logger } from '../../telemetry/logger.js';
import type { Telemetry } from '../../telemetry/telemetry.js';
import type { MakeWebhookConfig } from './config.js';
import type { ResourceContext } from './mapping.js';
import { WebhookDeduplicator } from './webhook-dedup.js';
import { webhookBodyToLogs } from './webhook-mapping.js';

/**
 * The push side of the Make receiver: a scenario's HTTP module POSTs JSON here. The request is
 * mapped in full before one `consume`, so it is accepted whole or refused whole, and 200 means the
 * records are durably queued downstream.
 */

/** Make's HTTP module sends small JSON; 10 MiB leaves room for big arrays and stops abuse. */
export const MAX_WEBHOOK_BODY_BYTES = 10 * 1024 * 1024;
const TRANSPORT = 'http';

export interface WebhookOptions {
  receiverId: string;
  config: MakeWebhookConfig;
  resource: ResourceContext;
  next: LogsConsumer;
  telemetry: Telemetry;
  logger: Logger;
  scenarioName: (id: unknown) => string | undefined;
}

class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** How often shutdown closes connections that went idle after their answer. */
const IDLE_SWEEP_MS = 100;

export class MakeWebhookServer {
  private server?: Server;
  private readonly keyDigest: Buffer;
  private readonly dedup: WebhookDeduplicator;

  constructor(private readonly o: WebhookOptions) {
    this.keyDigest = digest(o.config.api_key);
    this.dedup = new WebhookDeduplicator(o.config.dedup_window, o.telemetry.registry, o.receiverId);
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.config.endpoint.port, this.o.config.endpoint.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
  }

  /** The bound address (port 0 in tests resolves to the real port). */
  address(): AddressInfo | undefined {
    return (this.server?.address() as AddressInfo | null) ?? undefined;
  }

  async shutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    // A request still waiting when shutdown began is answered later (at the latest when the grace
    // period ends it with 503); its keep-alive connection then goes idle and must not hold close().
    const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
    clearInterval(sweep);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const fresh = this.dedup.filter(await this.readRequest(req));
      try {
        const logs = this.map(fresh.body);
        const n = countLogRecords(logs);
        if (n > 0) await this.consume(logs, n, requestSignal(res, 'close', 'the client closed the connection', () => res.writableFinished));
        this.o.telemetry.receiverAccepted.inc({ receiver: this.o.receiverId, transport: TRANSPORT }, n);
        reply(res, 200, { accepted: n, duplicates: fresh.duplicates });
      } catch (err) {
        this.dedup.release(fresh.claimed);
        throw err;
      }
    } catch (err) {
      // Never 500: Make's HTTP module treats 5xx other than 503 as a scenario error, not a retry.
      const r = err instanceof Refusal ? err : new Refusal(503, 'temporarily unavailable', { 'retry-after': '1' });
      if (!(err instanceof Refusal)) this.o.logger.error('make webhook request failed', { error: err instanceof Error ? err.message : String(err) });
      this.o.telemetry.receiverRequestsRefused.inc({ receiver: this.o.receiverId, transport: TRANSPORT, status: String(r.status) });
      // An unread body (refused before reading) would keep the connection busy; close it instead.
      reply(res, r.status, { error: r.message }, { ...r.headers, ...(req.complete ? {} : { connection: 'close' }) });
    }
  }

  /** Path, method, key, media type, size, JSON: refusals in that order, before any mapping. */
  private async readRequest(req: IncomingMessage): Promise<unknown> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== this.o.config.path) throw new Refusal(404, 'not found');
    if (req.method !== 'POST') throw new Refusal(405, 'method not allowed; use POST', { allow: 'POST' });
    if (!this.authorized(req)) throw new Refusal(401, 'missing or wrong api key (x-make-apikey or Authorization: Bearer)');
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json' && !/^application\/[\w.+-]+\+json$/.test(type)) {
      throw new Refusal(415, 'unsupported content type; send application/json');
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_WEBHOOK_BODY_BYTES) throw new Refusal(413, `body larger than ${MAX_WEBHOOK_BODY_BYTES} bytes`);
    const text = await readLimited(req, MAX_WEBHOOK_BODY_BYTES);
    try {
      return JSON.parse(text);
    } catch {
      throw new Refusal(400, 'malformed JSON');
    }
  }

  private map(body: unknown): Logs {
    try {
      return webhookBodyToLogs(body, this.o.resource, Date.now(), this.o.scenarioName);
    } catch (err) {
      throw new Refusal(400, err instanceof Error ? err.message : 'invalid body');
    }
  }

  private async consume(logs: Logs, n: number, signal: AbortSignal): Promise<void> {
    try {
      await this.o.next.consume(logs, signal);
    } catch (err) {
      this.o.telemetry.receiverRefused.inc({ receiver: this.o.receiverId, transport: TRANSPORT }, n);
      const message = err instanceof Error ? err.message : String(err);
      if (isPermanent(err)) throw new Refusal(400, message);
      const retryAfterMs = isRetryable(err) ? (err.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS) : DEFAULT_RETRY_AFTER_MS;
      const status = isRetryable(err) && err.throttled ? 429 : 503;
      throw new Refusal(status, err instanceof GatewayError ? message : 'downstream unavailable', { 'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) });
    }
  }

  private authorized(req: IncomingMessage): boolean {
    const header = req.headers['x-make-apikey'];
    let presented = Array.isArray(header) ? header[0] : header;
    if (presented === undefined) {
      const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
      presented = m?.[1];
    }
    // Compare digests: equal length for timingSafeEqual, and no length leak.
    return presented !== undefined && timingSafeEqual(digest(presented), this.keyDigest);
  }
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

function readLimited(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.pause();
        reject(new Refusal(413, `body larger than ${limit} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
