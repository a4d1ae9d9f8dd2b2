import { DEFAULT_RETRY_AFTER_MS, PermanentError, RetryableError } from '../errors.js';
import type { QueueLimits } from './queue.js';

/**
 * Capacity accounting shared by both queues: space is reserved before a write and released when
 * the write fails or the request leaves the queue. Blocked enqueuers wait in arrival order, so a
 * big request is not starved by a stream of small ones.
 */
export class CapacityGate {
  private used = 0;
  private closed = false;
  private readonly waiting: { units: number; admit: () => void; refuse: (err: Error) => void }[] = [];

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
  async reserve(units: number): Promise<boolean> {
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
        await new Promise<void>((admit, refuse) => this.waiting.push({ units, admit, refuse }));
        return true;
    }
  }

  release(units: number): void {
    this.used = Math.max(0, this.used - units);
    while (this.waiting.length > 0 && this.fits(this.waiting[0].units)) {
      const next = this.waiting.shift()!;
      this.used += next.units;
      next.admit();
    }
  }

  close(): void {
    this.closed = true;
    for (const w of this.waiting.splice(0)) w.refuse(closedError());
  }

  private fits(units: number): boolean {
    return this.used + units <= this.limits.capacity;
  }
}

export function closedError(): RetryableError {
  return new RetryableError('sending queue is closed (the gateway is stopping)', DEFAULT_RETRY_AFTER_MS, 'QUEUE_CLOSED');
}
