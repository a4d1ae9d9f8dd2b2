import type { StageSlot } from './stage-log.js';

const NO_PAYLOAD = Buffer.alloc(0);

/** A request whose bytes are in the stage log (stage-log.ts), not (yet) in the queue table. */
export interface Staged {
  /** Negative, so it never meets a row id. */
  id: number;
  payload: Buffer;
  items: number;
  checksum: number;
  enqueuedAt: number;
  attempts: number;
  at: StageSlot;
  /** ready: waits to be handed out; held: handed out; spilling: being written to the table. */
  state: 'ready' | 'held' | 'spilling';
  /** The state it was spilled from. */
  spilledFrom?: 'ready' | 'held';
  /** Acked, or dead-lettered (with this reason), while it was being spilled. */
  settledWhileSpilling?: { deadLetterReason?: string };
  /** Still in the `ready` FIFO (entries leave it lazily). */
  queued: boolean;
}

/**
 * The persistent queue's staged requests: by id in arrival order, and a FIFO of those not handed
 * out. Entries leave the FIFO lazily (a spilled one is skipped when reached), so moving a request
 * to the table never scans the FIFO; there can be many with small requests.
 */
export class StagedRequests {
  private readonly byId = new Map<number, Staged>();
  private ready: Staged[] = [];
  private lastId = 0;

  get size(): number {
    return this.byId.size;
  }

  add(fields: Pick<Staged, 'payload' | 'items' | 'checksum' | 'enqueuedAt' | 'at'>): Staged {
    // Spelled out, not `{ ...fields }`: entries built by spreading made about 20 MB of young objects
    // survive V8's scavenges in 8 s of bench/queue-gc.mjs (2600 requests/s), and 16 full GCs; built
    // like this, 4 MB and none (BENCHMARKS.md, session 6). One shape for every entry, too.
    const entry: Staged = {
      id: --this.lastId,
      payload: fields.payload,
      items: fields.items,
      checksum: fields.checksum,
      enqueuedAt: fields.enqueuedAt,
      attempts: 0,
      at: fields.at,
      state: 'ready',
      spilledFrom: undefined,
      settledWhileSpilling: undefined,
      queued: true,
    };
    this.byId.set(entry.id, entry);
    this.ready.push(entry);
    return entry;
  }

  get(id: number): Staged | undefined {
    return this.byId.get(id);
  }

  /**
   * Gone from memory (acked, dead-lettered, or in the table now): its bytes are let go at once
   * (queue.ts, `emptyRequest`, says why).
   */
  delete(id: number): void {
    const s = this.byId.get(id);
    if (s === undefined) return;
    this.byId.delete(id);
    s.payload = NO_PAYLOAD;
  }

  /** The oldest request waiting to be handed out, now held. */
  takeReady(): Staged | undefined {
    for (;;) {
      const s = this.ready.shift();
      if (!s) return undefined;
      s.queued = false;
      if (s.state !== 'ready') continue;
      s.state = 'held';
      return s;
    }
  }

  /** Up to `n` of the oldest requests waiting to be handed out. */
  oldestReady(n: number): Staged[] {
    const out: Staged[] = [];
    for (const s of this.ready) {
      if (out.length >= n) break;
      if (s.state === 'ready') out.push(s);
    }
    return out;
  }

  /** Up to `n` requests, oldest first, enqueued at or before `cutoff` and not being spilled. */
  enqueuedBefore(cutoff: number, n: number): Staged[] {
    const out: Staged[] = [];
    for (const s of this.byId.values()) {
      if (out.length >= n || s.enqueuedAt > cutoff) break;
      if (s.state !== 'spilling') out.push(s);
    }
    return out;
  }

  /** When the oldest staged request arrived (a Map keeps arrival order). */
  oldestEnqueuedAt(): number | undefined {
    for (const s of this.byId.values()) return s.enqueuedAt;
    return undefined;
  }

  /** Every request not being spilled, oldest first. */
  all(): Staged[] {
    return [...this.byId.values()].filter((s) => s.state !== 'spilling');
  }

  /** Mark for spilling: nobody hands them out meanwhile. */
  startSpill(batch: Staged[]): void {
    for (const s of batch) {
      s.spilledFrom = s.state === 'held' ? 'held' : 'ready';
      s.state = 'spilling';
    }
  }

  /** The spill failed before anything was stored: back to where they were. */
  abortSpill(batch: Staged[]): void {
    const requeue: Staged[] = [];
    for (const s of batch) {
      s.state = s.spilledFrom!;
      if (s.state === 'ready' && !s.queued) {
        s.queued = true;
        requeue.push(s);
      }
    }
    this.ready.unshift(...requeue);
  }
}
