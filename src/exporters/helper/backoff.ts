import { onAbort } from '../../abort-hooks.js';
import type { RetryOnFailureConfig } from './config.js';

/**
 * Exponential backoff with jitter, as the Collector's exporterhelper does it (cenkalti/backoff):
 * each delay is the current interval spread by ±randomization_factor, and the interval grows by
 * `multiplier` up to `max_interval`. A backend's Retry-After is a floor, never shortened.
 */
export class Backoff {
  private intervalMs: number;

  constructor(
    private readonly config: Pick<RetryOnFailureConfig, 'initial_interval' | 'max_interval' | 'multiplier' | 'randomization_factor'>,
    private readonly random: () => number = Math.random,
  ) {
    this.intervalMs = config.initial_interval;
  }

  /** The delay before the next attempt. */
  next(retryAfterMs?: number): number {
    const spread = this.config.randomization_factor * this.intervalMs;
    const jittered = this.intervalMs - spread + this.random() * 2 * spread;
    this.intervalMs = Math.min(this.intervalMs * this.config.multiplier, this.config.max_interval);
    return Math.max(Math.round(jittered), retryAfterMs ?? 0);
  }
}

/** Wait `ms`, or less if `signal` aborts; resolves either way (callers check the signal). */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      unhook();
      resolve();
    };
    const timer = setTimeout(done, ms);
    const unhook = onAbort(signal, done);
  });
}
