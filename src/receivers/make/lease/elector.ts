import type { StorageClient } from '../../../extensions/storage.js';
import type { Logger } from '../../../telemetry/logger.js';

/**
 * Leader election over a compare-and-set record (docs/scaling.md, "One poller per organization").
 *
 * Expiry is judged by observation, as Kubernetes' client-go leader election does, never by
 * comparing clocks across machines: a candidate remembers when *it* first saw the record's
 * current version and takes the lease over only when that version has not changed for a whole
 * `ttl` on its own clock. The holder renews every ttl/3 and steps down by itself when it could
 * not renew for 2/3 of a ttl, so it has stopped polling before anyone can take over.
 *
 * Takeover after the holder dies: candidates look every ttl/6, so the last renewal is seen at
 * most ttl/6 later, then a ttl of silence, then at most one more look: ≤ 4/3 × ttl, leaving room
 * inside the 2 × ttl promised for a busy event loop.
 */

/** One version of the lease record; `version` is the backend's compare-and-set token. */
export interface LeaseRecord {
  holder: string;
  version: string;
}

/** A lease store: a single record, written only by compare-and-set. */
export interface LeaseBackend {
  /** For logs: where the lease lives (never holds credentials). */
  readonly description: string;
  read(): Promise<LeaseRecord | undefined>;
  /** Creates the record held by `holder`; undefined when another replica created it first. */
  create(holder: string): Promise<LeaseRecord | undefined>;
  /** Writes `holder` over `prev` (renewal or takeover) if unchanged since; undefined on conflict. */
  update(prev: LeaseRecord, holder: string): Promise<LeaseRecord | undefined>;
  /** Gives the lease up so another replica need not wait a ttl (best effort). */
  release(prev: LeaseRecord): Promise<void>;
  /** The key/value store for cursors that lives with the lease, writable only while `holding()`. */
  cursorStore(holding: () => boolean): StorageClient;
  close(): Promise<void>;
}

export interface ElectorOptions {
  backend: LeaseBackend;
  identity: string;
  ttlMs: number;
  logger: Logger;
  /** Called with a signal that aborts when this replica's term ends. */
  onLeading: (term: AbortSignal) => void;
  now?: () => number;
}

export class LeaseElector {
  private readonly now: () => number;
  private held?: { record: LeaseRecord; renewedAt: number; term: AbortController };
  private observed?: { version: string; holder: string; at: number };
  private timer?: NodeJS.Timeout;
  private tickRunning?: Promise<void>;
  private stopped = false;
  private lastError?: string;

  constructor(private readonly o: ElectorOptions) {
    this.now = o.now ?? Date.now;
  }

  get leading(): boolean {
    return this.held !== undefined;
  }

  /** Starts campaigning: one attempt at once, then every ttl/6 (renewing every ttl/3 once held). */
  start(): void {
    const loop = () => {
      if (this.stopped) return;
      this.tickRunning = this.tick().finally(() => {
        const every = Math.max(50, Math.floor(this.o.ttlMs / (this.held ? 3 : 6)));
        if (!this.stopped) this.timer = setTimeout(loop, every);
      });
    };
    loop();
  }

  /** Stops campaigning, ends the term and releases the lease if held. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.tickRunning?.catch(() => {});
    const held = this.held;
    if (held) {
      this.endTerm('shutting down');
      await this.o.backend.release(held.record).catch(() => {});
    }
    await this.o.backend.close().catch(() => {});
  }

  private async tick(): Promise<void> {
    try {
      if (this.held) await this.renew(this.held);
      else await this.campaign();
      this.lastError = undefined;
    } catch (err) {
      const message = (err as Error).message;
      if (message !== this.lastError) this.o.logger.warn('make lease: backend unreachable', { lease: this.o.backend.description, error: message });
      this.lastError = message;
      // A holder that cannot renew must stop before anyone else may start.
      if (this.held && this.now() - this.held.renewedAt >= (this.o.ttlMs * 2) / 3) this.endTerm('could not renew the lease in time');
    }
  }

  private async renew(held: NonNullable<LeaseElector['held']>): Promise<void> {
    // The time the renewal was sent, not answered: the others' ttl started no later than that.
    const sent = this.now();
    const next = await this.o.backend.update(held.record, this.o.identity);
    if (this.held !== held) return;
    if (!next) {
      this.endTerm('another replica holds the lease');
      return;
    }
    held.record = next;
    held.renewedAt = sent;
  }

  private async campaign(): Promise<void> {
    const current = await this.o.backend.read();
    const now = this.now();
    if (!current) {
      const mine = await this.o.backend.create(this.o.identity);
      if (mine) this.beginTerm(mine, now);
      return;
    }
    if (current.holder === '' || current.holder === this.o.identity) {
      const mine = await this.o.backend.update(current, this.o.identity);
      if (mine) this.beginTerm(mine, now);
      return;
    }
    if (this.observed?.version !== current.version) {
      this.observed = { version: current.version, holder: current.holder, at: now };
      return;
    }
    if (now - this.observed.at < this.o.ttlMs) return;
    const mine = await this.o.backend.update(current, this.o.identity);
    if (mine) {
      this.o.logger.info('make lease: taking over from a replica that stopped renewing', { lease: this.o.backend.description, previous_holder: current.holder });
      this.beginTerm(mine, now);
    }
  }

  private beginTerm(record: LeaseRecord, now: number): void {
    if (this.stopped) return;
    const term = new AbortController();
    this.held = { record, renewedAt: now, term };
    this.observed = undefined;
    this.o.logger.info('make lease acquired: this replica polls', { lease: this.o.backend.description, identity: this.o.identity });
    this.o.onLeading(term.signal);
  }

  private endTerm(reason: string): void {
    const held = this.held;
    if (!held) return;
    this.held = undefined;
    this.o.logger.warn('make lease lost: this replica stops polling', { lease: this.o.backend.description, reason });
    held.term.abort(new Error(`make lease lost: ${reason}`));
  }
}
