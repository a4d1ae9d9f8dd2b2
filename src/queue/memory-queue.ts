import { CapacityGate, closedError } from './capacity.js';
import { deadLetterPreview } from './dead-letter-preview.js';
import { emptyRequest, sizeOf, type DeadLetterEntry, type DeadLetterSelection, type EnqueueOutcome, type EnqueueRequest, type HandedOut, type Queue, type QueueLimits, type QueuedRequest } from './queue.js';
import { Waiters } from './waiters.js';

interface Entry extends HandedOut {
  attempts: number;
}

/**
 * Dead letters an in-memory queue keeps with their bytes (the oldest go first past it): enough to
 * look at and replay a burst of refusals, bounded so a backend refusing everything cannot fill the
 * heap. They are lost at restart like the rest of the queue.
 */
export const MEMORY_DEAD_LETTERS_KEPT = 100;

interface Kept extends Omit<DeadLetterEntry, 'preview'> {
  payload: Uint8Array;
}

/**
 * The in-process twin of SqliteQueue, for exporters without `sending_queue.storage`. Same
 * contract, except that a restart loses what it holds (the docs say so). Dead-lettered requests
 * are kept, up to a bound, only so they are counted and visible in logs and metrics.
 */
export class MemoryQueue implements Queue {
  private readonly gate: CapacityGate;
  private readonly pending: Entry[] = [];
  private readonly held = new Map<number, Entry>();
  private readonly takers = new Waiters<QueuedRequest | undefined>();
  private nextId = 1;
  private deadLetters = 0;
  private readonly kept: Kept[] = [];
  private nextDeadLetterId = 1;
  private closed = false;

  constructor(private readonly limits: QueueLimits) {
    this.gate = new CapacityGate(limits);
  }

  get capacity(): number {
    return this.gate.capacity;
  }

  async enqueue(request: EnqueueRequest): Promise<EnqueueOutcome> {
    if (this.closed) throw closedError();
    if (!(await this.gate.reserve(sizeOf(this.limits.sizer, request), request.signal))) return 'dropped';
    const entry: Entry = {
      id: this.nextId++,
      bytes: request.bytes,
      items: request.items,
      logs: request.logs,
      attempts: 0,
      enqueuedAtMs: Date.now(),
      redelivery: false,
    };
    if (this.takers.length > 0) {
      this.held.set(entry.id, entry);
      this.takers.resolveOne(entry);
    } else this.pending.push(entry);
    return 'committed';
  }

  async take(signal?: AbortSignal): Promise<QueuedRequest | undefined> {
    if (this.closed || signal?.aborted) return undefined;
    const next = this.pending.shift();
    if (next) {
      this.held.set(next.id, next);
      return next;
    }
    return this.takers.wait(signal, undefined);
  }

  async poll(): Promise<QueuedRequest | undefined> {
    if (this.closed) return undefined;
    const next = this.pending.shift();
    if (next) this.held.set(next.id, next);
    return next;
  }

  async ack(id: number): Promise<void> {
    this.remove(id);
  }

  async recordAttempt(id: number): Promise<void> {
    const entry = this.held.get(id);
    if (entry) entry.attempts++;
  }

  async deadLetter(id: number, reason: string): Promise<void> {
    const entry = this.held.get(id);
    if (!entry) return;
    this.keep(entry.bytes, entry.items, entry.attempts, entry.enqueuedAtMs, reason);
    this.remove(id);
  }

  async deadLetterNew(bytes: Uint8Array, items: number, reason: string): Promise<void> {
    if (this.closed) throw closedError();
    this.keep(bytes, items, 0, Date.now(), reason);
  }

  async listDeadLetters(opts: { limit: number; after?: number }): Promise<DeadLetterEntry[]> {
    return this.kept
      .filter((k) => k.id > (opts.after ?? 0))
      .slice(0, opts.limit)
      .map(({ payload, ...entry }) => ({ ...entry, preview: deadLetterPreview(payload) }));
  }

  async replayDeadLetters(sel: DeadLetterSelection): Promise<{ requests: number; records: number }> {
    if (this.closed) throw closedError();
    const taken = this.takeKept(sel);
    for (const k of taken) {
      this.gate.preload(sizeOf(this.limits.sizer, { items: k.records, bytes: k.payload }));
      const entry: Entry = { id: this.nextId++, bytes: k.payload, items: k.records, attempts: 0, enqueuedAtMs: k.enqueuedAtMs, redelivery: false, logs: undefined };
      if (this.takers.length > 0) {
        this.held.set(entry.id, entry);
        this.takers.resolveOne(entry);
      } else this.pending.push(entry);
    }
    return { requests: taken.length, records: taken.reduce((n, k) => n + k.records, 0) };
  }

  async deleteDeadLetters(sel: DeadLetterSelection): Promise<{ requests: number; records: number }> {
    const taken = this.takeKept(sel);
    return { requests: taken.length, records: taken.reduce((n, k) => n + k.records, 0) };
  }

  oldestEnqueuedAtMs(): number | undefined {
    let oldest: number | undefined;
    for (const e of this.held.values()) oldest = oldest === undefined ? e.enqueuedAtMs : Math.min(oldest, e.enqueuedAtMs);
    const first = this.pending[0]?.enqueuedAtMs;
    if (first !== undefined) oldest = oldest === undefined ? first : Math.min(oldest, first);
    return oldest;
  }

  size(): number {
    return this.gate.size();
  }

  deadLetterSize(): number {
    return this.deadLetters;
  }

  /** Log records still held (pending or in flight): what a shutdown now would lose. */
  storedItems(): number {
    let n = 0;
    for (const e of this.pending) n += e.items;
    for (const e of this.held.values()) n += e.items;
    return n;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.gate.close();
    this.takers.resolveAll(undefined);
  }

  private keep(bytes: Uint8Array, records: number, attempts: number, enqueuedAtMs: number, reason: string): void {
    this.deadLetters++;
    const now = Date.now();
    this.kept.push({ id: this.nextDeadLetterId++, reason, records, bytes: bytes.byteLength, attempts, enqueuedAtMs, deadLetteredAtMs: now, payload: bytes });
    if (this.kept.length > MEMORY_DEAD_LETTERS_KEPT) this.kept.shift();
  }

  /** Removes the selected kept dead letters and returns them; the count goes down with them. */
  private takeKept(sel: DeadLetterSelection): Kept[] {
    const wanted = 'all' in sel ? undefined : new Set(sel.ids);
    const taken: Kept[] = [];
    for (let i = this.kept.length - 1; i >= 0; i--) {
      if (wanted && !wanted.has(this.kept[i]!.id)) continue;
      taken.unshift(...this.kept.splice(i, 1));
    }
    this.deadLetters = Math.max(0, this.deadLetters - taken.length);
    return taken;
  }

  private remove(id: number): boolean {
    const entry = this.held.get(id);
    if (!entry) return false;
    this.held.delete(id);
    this.gate.release(sizeOf(this.limits.sizer, entry));
    emptyRequest(entry);
    return true;
  }
}
