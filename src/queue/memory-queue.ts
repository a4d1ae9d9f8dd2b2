import { CapacityGate, closedError } from './capacity.js';
import { previewOf } from './preview.js';
import {
  emptyRequest,
  sizeOf,
  type DeadLetterCount,
  type DeadLetterEntry,
  type DeadLetterSelection,
  type EnqueueOutcome,
  type EnqueueRequest,
  type HandedOut,
  type Queue,
  type QueueLimits,
  type QueuedRequest,
} from './queue.js';
import { Waiters } from './waiters.js';

interface Entry extends HandedOut {
  attempts: number;
}

/** A dead letter kept in memory: its own reference to the bytes (the handed-out request is emptied). */
interface DeadLetter extends DeadLetterEntry {
  payload: Uint8Array;
  logs?: HandedOut['logs'];
}

/** Dead letters kept when the exporter sets no `dead_letter_max_bytes`: the oldest go past it. */
export const MEMORY_DEAD_LETTER_MAX_BYTES = 64 * 1024 * 1024;

/**
 * The in-process twin of SqliteQueue, for exporters without `sending_queue.storage`. Same
 * contract, except that a restart loses what it holds (the docs say so). Dead-lettered requests
 * are kept, up to a bound in bytes (oldest out first), so they can be listed and replayed while
 * the gateway runs.
 */
export class MemoryQueue implements Queue {
  private readonly gate: CapacityGate;
  private readonly pending: Entry[] = [];
  private readonly held = new Map<number, Entry>();
  private readonly takers = new Waiters<QueuedRequest | undefined>();
  private nextId = 1;
  /** By id, in the order they were dead-lettered (a Map keeps it). */
  private readonly deadLetters = new Map<number, DeadLetter>();
  private deadLetterBytes = 0;
  private nextDeadLetterId = 1;
  private closed = false;

  constructor(
    private readonly limits: QueueLimits,
    private readonly options: { deadLetterMaxBytes?: number; onDeadLetterEvicted?: (requests: number, records: number) => void } = {},
  ) {
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
    this.offer(entry);
    return 'committed';
  }

  /** To a waiting taker at once, else to the end of the line. */
  private offer(entry: Entry): void {
    if (this.takers.length > 0) {
      this.held.set(entry.id, entry);
      this.takers.resolveOne(entry);
    } else this.pending.push(entry);
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
    const kept = { payload: entry.bytes, logs: entry.logs, items: entry.items, attempts: entry.attempts, enqueuedAtMs: entry.enqueuedAtMs };
    this.remove(id);
    this.keepDeadLetter(kept, reason);
  }

  async deadLetterNew(bytes: Uint8Array, items: number, reason: string): Promise<void> {
    if (this.closed) throw closedError();
    this.keepDeadLetter({ payload: bytes, items, attempts: 0, enqueuedAtMs: Date.now() }, reason);
  }

  private keepDeadLetter(d: { payload: Uint8Array; logs?: Entry['logs']; items: number; attempts: number; enqueuedAtMs: number }, reason: string): void {
    const id = this.nextDeadLetterId++;
    const bytes = d.payload.byteLength;
    this.deadLetters.set(id, { id, reason, records: d.items, bytes, attempts: d.attempts, enqueuedAtMs: d.enqueuedAtMs, deadLetteredAtMs: Date.now(), payload: d.payload, logs: d.logs });
    this.deadLetterBytes += bytes;
    const max = this.options.deadLetterMaxBytes || MEMORY_DEAD_LETTER_MAX_BYTES;
    let requests = 0;
    let records = 0;
    // The newest (just added) stays even when it alone is over the bound.
    for (const old of this.deadLetters.values()) {
      if (this.deadLetterBytes <= max || old.id === id) break;
      this.dropDeadLetter(old);
      requests++;
      records += old.records;
    }
    if (requests > 0) this.options.onDeadLetterEvicted?.(requests, records);
  }

  private dropDeadLetter(d: DeadLetter): void {
    this.deadLetters.delete(d.id);
    this.deadLetterBytes -= d.bytes;
  }

  async listDeadLetters(opts: { limit: number; after?: number }): Promise<DeadLetterEntry[]> {
    const out: DeadLetterEntry[] = [];
    for (const d of this.deadLetters.values()) {
      if (out.length >= opts.limit) break;
      if (d.id <= (opts.after ?? 0)) continue;
      out.push({ id: d.id, reason: d.reason, records: d.records, bytes: d.bytes, attempts: d.attempts, enqueuedAtMs: d.enqueuedAtMs, deadLetteredAtMs: d.deadLetteredAtMs, preview: previewOf(d.payload) });
    }
    return out;
  }

  async replayDeadLetters(sel: DeadLetterSelection): Promise<DeadLetterCount> {
    if (this.closed) throw closedError();
    const moved = { requests: 0, records: 0 };
    for (const d of this.selected(sel)) {
      this.dropDeadLetter(d);
      // Counted even past capacity: it was held already, only in the dead-letter store.
      this.gate.preload(sizeOf(this.limits.sizer, { items: d.records, bytes: d.payload }));
      this.offer({ id: this.nextId++, bytes: d.payload, items: d.records, logs: d.logs, attempts: 0, enqueuedAtMs: d.enqueuedAtMs, redelivery: false });
      moved.requests++;
      moved.records += d.records;
    }
    return moved;
  }

  async deleteDeadLetters(sel: DeadLetterSelection): Promise<DeadLetterCount> {
    const removed = { requests: 0, records: 0 };
    for (const d of this.selected(sel)) {
      this.dropDeadLetter(d);
      removed.requests++;
      removed.records += d.records;
    }
    return removed;
  }

  private selected(sel: DeadLetterSelection): DeadLetter[] {
    if ('all' in sel) return [...this.deadLetters.values()];
    return [...new Set(sel.ids)].map((id) => this.deadLetters.get(id)).filter((d): d is DeadLetter => d !== undefined).sort((a, b) => a.id - b.id);
  }

  oldestEnqueuedAtMs(): number | undefined {
    let oldest = this.pending[0]?.enqueuedAtMs;
    for (const e of this.held.values()) if (oldest === undefined || e.enqueuedAtMs < oldest) oldest = e.enqueuedAtMs;
    return oldest;
  }

  size(): number {
    return this.gate.size();
  }

  deadLetterSize(): number {
    return this.deadLetters.size;
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

  private remove(id: number): boolean {
    const entry = this.held.get(id);
    if (!entry) return false;
    this.held.delete(id);
    this.gate.release(sizeOf(this.limits.sizer, entry));
    emptyRequest(entry);
    return true;
  }
}
