import type { Logger } from '../../telemetry/logger.js';
import { describeNatsError, openNats, type NatsConnectionConfig, type NatsSession } from './connection.js';

/** How often an unreachable server is tried again. The client's own reconnect takes over once connected. */
const RETRY_MS = 2_000;

/**
 * The connection of a `nats` component, opened so that a NATS server that is not there yet does not
 * stop the gateway: the ingest tier must accept and queue on disk while NATS is away (that is what
 * its queue is for), and an export tier starting before NATS should not crash-loop. A first attempt
 * that finds the server unreachable resolves `start` and keeps trying in the background; errors a
 * retry cannot fix (credentials refused, a stream that does not capture the subject) fail `start`.
 */
export class NatsLink {
  session?: NatsSession;
  private timer?: NodeJS.Timeout;
  private closed = false;
  private attempting?: Promise<void>;

  constructor(
    private readonly config: NatsConnectionConfig,
    private readonly clientName: string,
    private readonly logger: Logger,
    /** Runs on every new connection before it is used (streams, consumers); may throw. */
    private readonly setup: (session: NatsSession) => Promise<void>,
    private readonly onReady: (session: NatsSession) => void,
  ) {}

  start(): Promise<void> {
    return this.attempt(true);
  }

  private attempt(first: boolean): Promise<void> {
    this.attempting = (async () => {
      if (this.closed) return;
      let session: NatsSession;
      try {
        session = await openNats(this.config, this.clientName);
      } catch (err) {
        if (first && !isUnreachable(err)) throw err;
        if (first) this.logger.warn('nats: server unreachable; retrying in the background (requests wait in the queue)', { url: this.config.url, error: describeNatsError(err) });
        this.retryLater();
        return;
      }
      try {
        await this.setup(session);
      } catch (err) {
        await session.nc.close().catch(() => {});
        if (first) throw err;
        this.logger.error('nats: connected but could not set up; retrying', { error: describeNatsError(err) });
        this.retryLater();
        return;
      }
      if (this.closed) {
        await session.nc.close().catch(() => {});
        return;
      }
      this.session = session;
      if (!first) this.logger.info('nats: connected', { url: this.config.url });
      this.onReady(session);
    })();
    return this.attempting;
  }

  private retryLater(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => void this.attempt(false).catch(() => {}), RETRY_MS);
    this.timer.unref();
  }

  async close(): Promise<NatsSession | undefined> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.attempting?.catch(() => {});
    const s = this.session;
    this.session = undefined;
    return s;
  }
}

/** A server that is not (yet) there, as opposed to one that refused us. */
function isUnreachable(err: unknown): boolean {
  return /refused|ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|timeout|timed out/i.test(describeNatsError(err));
}
