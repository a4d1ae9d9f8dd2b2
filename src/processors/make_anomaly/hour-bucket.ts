import { median } from './robust-stats.js';

/**
 * One scenario's executions in one clock hour, reduced to what the baselines need. A scenario's
 * history is a list of these (persisted), so the model's state stays small: 4 weeks = 672 entries.
 */
export interface HourSummary {
  /** Epoch hour (floor(ms / 3 600 000)). */
  h: number;
  /** Runs finished (pending runs are not counted). */
  n: number;
  /** Runs with status error. */
  e: number;
  /** Median duration (ms) and median operations of the runs; NaN-free: -1 when unknown. */
  d: number;
  o: number;
}

export const HOUR_MS = 3_600_000;
export const HOURS_PER_WEEK = 168;

/** The runs of the hour still open, in full (an hour of a busy scenario is a few hundred runs). */
export class OpenHour {
  n = 0;
  e = 0;
  readonly durations: number[] = [];
  readonly operations: number[] = [];

  constructor(readonly h: number) {}

  add(run: { error: boolean; durationMs?: number; operations?: number }): void {
    this.n++;
    if (run.error) this.e++;
    if (run.durationMs !== undefined) this.durations.push(run.durationMs);
    if (run.operations !== undefined) this.operations.push(run.operations);
  }

  summary(): HourSummary {
    return {
      h: this.h,
      n: this.n,
      e: this.e,
      d: this.durations.length > 0 ? median(this.durations) : -1,
      o: this.operations.length > 0 ? median(this.operations) : -1,
    };
  }
}
