import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { redact } from '../telemetry/secrets.js';
import { sendAnswer } from './answer-unread.js';
import { listenOrFail, type KitListener, type ListenerOptions } from './listen.js';
import { httpErrorFor } from './http-error.js';
import { BodyAbortedError } from './request-body.js';
import { loadServerTls } from './server-tls.js';

/**
 * The server kit: the one way a non-OTLP listener (health_check, the metrics endpoint, the Make
 * webhook, the admin extension) listens. It owns what every listener must get right the same way:
 * a listen failure is `COMPONENT_START_FAILED` naming the key, the `tls` block, `max_connections`,
 * error answers (never a 500 with an internal message), refusals a client can read even while it
 * still sends its body (answer-unread.ts), and one shutdown policy with a grace period.
 * (The OTLP receiver keeps its own server because it streams bodies through decompression limits.)
 */

/** How long shutdown lets in-flight requests finish before cutting their connections. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 5_000;
/** How often a closing server closes connections that became idle. */
const IDLE_SWEEP_MS = 50;
/** Bodies of kit servers are small JSON documents unless the server says otherwise. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface KitServerOptions extends ListenerOptions {
  /** The body limit the handler enforces; bounds how much of a refused body is discarded. */
  maxBodyBytes?: number;
  handler: Handler;
}

/** Its shutdown lets in-flight requests finish for the grace period, then cuts. */
export type KitServer = KitListener;

export async function startHttpServer(o: KitServerOptions): Promise<KitServer> {
  const tls = o.tls ? await loadServerTls(o.tls, `${o.keyPath}.tls`) : undefined;
  const maxBodyBytes = o.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const fail = (err: unknown) => answerError(req, res, err, o, maxBodyBytes);
    try {
      const result = o.handler(req, res);
      if (result) result.catch(fail);
    } catch (err) {
      fail(err);
    }
  };
  const server: Server = tls ? createHttpsServer(tls, handle) : createHttpServer(handle);
  return listenOrFail(
    server,
    o,
    tls !== undefined,
    () =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), o.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS);
        force.unref();
        // A keep-alive connection whose request finishes during the grace period turns idle and
        // would hold the close until its keep-alive timeout: sweep idle ones until closed.
        const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
        sweep.unref();
        server.close(() => {
          clearTimeout(force);
          clearInterval(sweep);
          resolve();
        });
        server.closeIdleConnections();
      }),
  );
}

function answerError(req: IncomingMessage, res: ServerResponse, err: unknown, o: KitServerOptions, maxBodyBytes: number): void {
  // The client went away mid-body: nobody to answer, nothing unexpected.
  if (err instanceof BodyAbortedError) {
    res.destroy();
    return;
  }
  const answer = httpErrorFor(err);
  if (answer !== err) o.logger.error('request failed unexpectedly', { server: o.name, error: redact(err instanceof Error ? err.message : String(err)) });
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: redact(answer.message) });
  sendAnswer(req, res, { status: answer.status, headers: { ...answer.headers, 'Content-Type': 'application/json' }, body }, maxBodyBytes);
}
