import { onAbort } from '../../abort-hooks.js';

/**
 * Spaces Make API calls evenly: with a budget of N requests per window, consecutive calls start at
 * least window/N apart. Spacing (rather than a bucket that allows bursts) keeps any window of the
 * same length — aligned or sliding — at or under N calls, which is how Make counts its
 * per-organization limit. `pauseFor` holds every caller back after a 429.
 */

export const MINUTE_MS = 60_000;

/**
 * Use 95% of the budget: calls that leave evenly spaced can arrive bunched (network and event-loop
 * jitter), and Make counts arrivals.
 */
export const BUDGET_SHARE = 0.95;

export class RateLimiter {
  private spacingMs = 0;
  private nextSlotAt = 0;
  private pausedUntil = 0;

  constructor(
    requestsPerWindow: number,
    /** The window the budget applies to; a minute in production, shorter in tests. */
    private readonly windowMs = MINUTE_MS,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.setRate(requestsPerWindow);
  }

  /** Change the budget (once the organization's own limit is known); applies from the next call. */
  setRate(requestsPerWindow: number): void {
    this.spacingMs = this.windowMs / (requestsPerWindow * BUDGET_SHARE);
  }

  /** Resolves when the caller may send; rejects if `signal` aborts first. */
  async acquire(signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      const now = this.now();
      const at = Math.max(this.nextSlotAt, this.pausedUntil);
      if (now >= at) {
        this.nextSlotAt = now + this.spacingMs;
        return;
      }
      // Timers may fire a little early; the loop re-checks before taking the slot.
      await sleep(Math.ceil(at - now), signal);
    }
  }

  /** No call starts before `ms` from now (a 429's Retry-After or backoff). */
  pauseFor(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + ms);
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      unhook?.();
      resolve();
    }, ms);
    // The receiver's signal lives as long as the receiver (abort-hooks.ts says why not addEventListener).
    const unhook = signal
      ? onAbort(signal, () => {
          clearTimeout(timer);
          reject(signal.reason);
        })
      : undefined;
  });
}
