import { onAbort } from '../abort-hooks.js';
import { DEFAULT_RETRY_AFTER_MS, PermanentError, RetryableError } from '../errors.js';
import { cancelledError } from '../pipeline/cancellation.js';
import type { QueueLimits } from './queue.js';

/**
 * Capacity accounting shared by both queues: space is reserved before a write and released when
 * the write fails or the request leaves the queue. Blocked enqueuers wait in arrival order, so a
 * big request is not starved by a stream of small ones. A waiter whose signal aborts (its client
 * went away: docs/delivery.md, "Cancellation") leaves the line at once, refused with a retryable
 * `CANCELLED`: left in line it would later store a request nobody waits for, and hold up the
 * waiters behind it.
 */
export class CapacityGate {
  private used = 0;
  private closed = false;
  private readonly waiting: Waiter[] = [];

  constructor(private readonly limits: QueueLimits) {}

  get capacity(): number {
    return this.limits.capacity;
  }

  size(): number {
    return this.used;
  }

  /** Count requests already stored (at open). May exceed capacity if the config shrank. */
  preload(units: number): void {
    this.used += units;
  }

  /** Reserve room for `units`; `false` means the overflow policy dropped the request. */
  async reserve(units: number, signal?: AbortSignal): Promise<boolean> {
    if (this.closed) throw closedError();
    if (units > this.limits.capacity) {
      throw new PermanentError(
        `request of ${units} ${this.limits.sizer} exceeds the queue capacity of ${this.limits.capacity}`,
        'PAYLOAD_TOO_LARGE',
      );
    }
    if (this.waiting.length === 0 && this.fits(units)) {
      this.used += units;
      return true;
    }
    switch (this.limits.overflow) {
      case 'drop_newest':
        return false;
      case 'refuse':
        throw new RetryableError(`sending queue is full (${this.used}/${this.limits.capacity} ${this.limits.sizer})`, DEFAULT_RETRY_AFTER_MS, 'QUEUE_FULL');
      case 'block':
        if (signal?.aborted) throw cancelledError(signal);
        await new Promise<void>((admit, refuse) => {
          const waiter: Waiter = { units, admit, refuse, unhook: noop };
          this.waiting.push(waiter);
          if (signal) waiter.unhook = onAbort(signal, () => this.cancel(waiter, signal));
        });
        return true;
    }
  }

  release(units: number): void {
    this.used = Math.max(0, this.used - units);
    this.admitWaiting();
  }

  close(): void {
    this.closed = true;
    for (const w of this.waiting.splice(0)) {
      w.unhook();
      w.refuse(closedError());
    }
  }

  private admitWaiting(): void {
    while (this.waiting.length > 0 && this.fits(this.waiting[0].units)) {
      const next = this.waiting.shift()!;
      next.unhook();
      this.used += next.units;
      next.admit();
    }
  }

  private cancel(waiter: Waiter, signal: AbortSignal): void {
    const at = this.waiting.indexOf(waiter);
    if (at < 0) return;
    this.waiting.splice(at, 1);
    waiter.refuse(cancelledError(signal));
    // A big request at the head may have kept smaller ones behind it waiting.
    this.admitWaiting();
  }

  private fits(units: number): boolean {
    return this.used + units <= this.limits.capacity;
  }
}

interface Waiter {
  units: number;
  admit: () => void;
  refuse: (err: Error) => void;
  /** Unhooks the waiter from its request's signal once it leaves the line. */
  unhook: () => void;
}

function noop(): void {}

export function closedError(): RetryableError {
  return new RetryableError('sending queue is closed (the gateway is stopping)', DEFAULT_RETRY_AFTER_MS, 'QUEUE_CLOSED');
}
