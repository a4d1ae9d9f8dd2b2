import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpError } from '../../net/http-error.js';
import { startHttpServer, type KitServer } from '../../net/http-server.js';
import { BodyAbortedError, readTextBody } from '../../net/request-body.js';
import { countLogRecords, type Logs } from '../../pdata/model.js';
import type { LogsConsumer } from '../../pipeline/component.js';
import { requestSignal } from '../../pipeline/cancellation.js';
import type { Logger } from '../../telemetry/logger.js';
import type { Telemetry } from '../../telemetry/telemetry.js';
import { expectedCost, memoryAdmission, memoryLimitError, parsedCost, type Reservation } from '../../processors/memory_limiter/admission.js';
import { ReceiverObsreport } from '../helper/obsreport.js';
import { retryAfterSeconds } from '../otlp/refusal.js';
import type { MakeWebhookConfig } from './config.js';
import type { ResourceContext } from './mapping.js';
import { WebhookDeduplicator } from './webhook-dedup.js';
import { webhookBodyToLogs } from './webhook-mapping.js';

/**
 * The push side of the Make receiver: a scenario's HTTP module POSTs JSON here. The request is
 * mapped in full before one `consume`, so it is accepted whole or refused whole, and 200 means the
 * records are durably queued downstream. The listener is the server kit's (src/net/): TLS,
 * max_connections, refusals a client can read while still sending, no 500.
 */

/** Default `max_request_body_size`: Make's HTTP module sends small JSON; 10 MiB leaves room for big arrays and stops abuse. */
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

export class MakeWebhookServer {
  private server?: KitServer;
  private readonly keyDigest: Buffer;
  private readonly dedup: WebhookDeduplicator;
  private readonly obs: ReceiverObsreport;
  private readonly maxBodyBytes: number;

  constructor(private readonly o: WebhookOptions) {
    this.maxBodyBytes = o.config.max_request_body_size || MAX_WEBHOOK_BODY_BYTES;
    this.keyDigest = digest(o.config.api_key);
    this.dedup = new WebhookDeduplicator(o.config.dedup_window, o.telemetry.registry, o.receiverId);
    this.obs = new ReceiverObsreport(o.telemetry, o.receiverId, TRANSPORT);
  }

  async start(): Promise<void> {
    this.server = await startHttpServer({
      name: `${this.o.receiverId}/webhook`,
      keyPath: `receivers.${this.o.receiverId}.webhook`,
      endpoint: this.o.config.endpoint,
      tls: this.o.config.tls,
      maxConnections: this.o.config.max_connections,
      maxBodyBytes: this.maxBodyBytes,
      telemetry: this.o.telemetry,
      logger: this.o.logger,
      handler: (req, res) => this.handle(req, res),
    });
  }

  /** The bound address (port 0 in tests resolves to the real port). */
  address(): AddressInfo | undefined {
    return this.server?.address;
  }

  async shutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await server?.shutdown();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let reservation: Reservation | undefined;
    try {
      this.checkRequest(req);
      // Memory is reserved before the body is read (memory_limiter admission): parsing is where JSON costs.
      const declared = Number(req.headers['content-length'] ?? NaN);
      // Too big is 413 whatever the memory: decided before reserving anything.
      if (declared > this.maxBodyBytes) throw new HttpError(413, `request body exceeds ${this.maxBodyBytes} bytes`);
      const encoded = (req.headers['content-encoding'] ?? 'identity') !== 'identity';
      reservation = memoryAdmission.tryReserve(expectedCost(declared, encoded, true, this.maxBodyBytes));
      if (!reservation) throw this.throttled();
      const held = reservation;
      const text = await readTextBody(req, this.maxBodyBytes, (bytes) => (held.growTo(parsedCost(bytes, true)) ? undefined : this.throttled()));
      if (!reservation.resize(parsedCost(Buffer.byteLength(text), true))) throw this.throttled();
      const fresh = this.dedup.filter(parseJson(text));
      try {
        const logs = this.map(fresh.body);
        const n = countLogRecords(logs);
        await this.consume(logs, n, requestSignal(res, 'close', 'the client closed the connection', () => res.writableFinished));
        reply(res, 200, { accepted: n, duplicates: fresh.duplicates });
      } catch (err) {
        // Refused downstream: a retry of the same push must not be taken for a duplicate.
        this.dedup.release(fresh.claimed);
        throw err;
      }
    } catch (err) {
      // The kit answers (and, for an unread body, discards it before closing); we count.
      const refusal = err instanceof HttpError ? err : undefined;
      // A client that went away mid-body got no answer: nothing to count as refused.
      if (!(err instanceof BodyAbortedError)) this.obs.requestRefused(refusal?.status ?? 503);
      throw err;
    } finally {
      reservation?.release();
    }
  }

  private throttled(): HttpError {
    const refusal = this.obs.refusal(memoryLimitError());
    return new HttpError(refusal.httpStatus, refusal.message, { 'retry-after': retryAfterSeconds(refusal.retryAfterMs ?? 1000) });
  }

  /** Path, method, key, media type: refusals in that order, before the body is read. */
  private checkRequest(req: IncomingMessage): void {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== this.o.config.path) throw new HttpError(404, 'not found');
    if (req.method !== 'POST') throw new HttpError(405, 'method not allowed; use POST', { allow: 'POST' });
    if (!this.authorized(req)) throw new HttpError(401, 'missing or wrong api key (x-make-apikey or Authorization: Bearer)');
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json' && !/^application\/[\w.+-]+\+json$/.test(type)) {
      throw new HttpError(415, 'unsupported content type; send application/json');
    }
  }

  private map(body: unknown): Logs {
    try {
      return webhookBodyToLogs(body, this.o.resource, Date.now(), this.o.scenarioName);
    } catch (err) {
      throw new HttpError(400, err instanceof Error ? err.message : 'invalid body');
    }
  }

  private async consume(logs: Logs, n: number, signal: AbortSignal): Promise<void> {
    if (n === 0) return;
    try {
      await this.obs.track(n, () => this.o.next.consume(logs, signal));
    } catch (err) {
      const refusal = this.obs.refusal(err);
      if (refusal.httpStatus >= 500 || refusal.httpStatus === 429) {
        this.o.logger.warn('make webhook request refused downstream', { status: refusal.httpStatus, records: n, error: refusal.message });
      }
      const headers: Record<string, string> = refusal.retryAfterMs !== undefined ? { 'retry-after': retryAfterSeconds(Math.max(1000, refusal.retryAfterMs)) } : {};
      throw new HttpError(refusal.httpStatus, refusal.message, headers);
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

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'malformed JSON');
  }
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
