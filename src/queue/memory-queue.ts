import { CapacityGate, closedError } from './capacity.js';
import { emptyRequest, sizeOf, type EnqueueOutcome, type EnqueueRequest, type HandedOut, type Queue, type QueueLimits, type QueuedRequest } from './queue.js';
import { Waiters } from './waiters.js';

interface Entry extends HandedOut {
  attempts: number;
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

  async deadLetter(id: number, _reason: string): Promise<void> {
    if (this.remove(id)) this.deadLetters++;
  }

  async deadLetterNew(_bytes: Uint8Array, _items: number, _reason: string): Promise<void> {
    if (this.closed) throw closedError();
    this.deadLetters++;
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

  private remove(id: number): boolean {
    const entry = this.held.get(id);
    if (!entry) return false;
    this.held.delete(id);
    this.gate.release(sizeOf(this.limits.sizer, entry));
    emptyRequest(entry);
    return true;
  }
}
