import { HOUR_MS, HOURS_PER_WEEK, OpenHour, type HourSummary } from './hour-bucket.js';
import { binomialTail, median, scaledMad } from './robust-stats.js';

/**
 * One scenario's baselines and the rules that flag a closed hour or a silence as anomalous
 * (docs/make-receiver.md, "Anomaly detection"). Everything is computed from the hourly history:
 * - error rate: the pooled rate of the last 4 weeks (+ a half-run prior); the failures of the last
 *   1, 3 and 6 hours are tested against it with the exact binomial tail (a quiet scenario needs
 *   several hours of evidence, a busy one minutes), and must also exceed it by 20 points;
 * - duration and operations per run: median/MAD on a log scale (regressions are multiplicative),
 *   centred on the same hour of the previous weeks once two weeks of history exist (weekly
 *   seasonality: Monday 9:00 is compared with earlier Mondays 9:00), before that on the same hour
 *   of the day; the spread is measured after removing the daily pattern;
 * - stopped: hours in which the scenario ran in every one of the previous weeks (or, before two
 *   weeks of history, on 6 of the last 7 days) and now did not, two in a row.
 * Nothing is flagged before MIN_HISTORY_HOURS of history: a new scenario has no "usual" yet.
 */

export type AnomalyKind = 'error_rate_spike' | 'duration_regression' | 'operations_spike' | 'stopped';

export interface Anomaly {
  kind: AnomalyKind;
  severity: 'WARN' | 'ERROR';
  /** What was measured: error_rate, duration_ms (median per run), operations (median per run), runs. */
  metric: 'error_rate' | 'duration_ms' | 'operations' | 'runs';
  observed: number;
  baseline: number;
  threshold: number;
  windowStartMs: number;
  windowEndMs: number;
  runs: number;
}

export interface ModelState {
  v: 1;
  firstHour: number;
  history: HourSummary[];
  lastRunMs?: number;
  stoppedSince?: number;
  lastAlertHour: Partial<Record<AnomalyKind, number>>;
  /** Whether the previous active hour was above the limit, per kind that must be sustained. */
  high?: Partial<Record<'duration_regression' | 'operations_spike', boolean>>;
  open?: { h: number; n: number; e: number; durations: number[]; operations: number[] };
}

export const HISTORY_HOURS = 4 * HOURS_PER_WEEK;
export const MIN_HISTORY_HOURS = 72;
const MIN_ACTIVE_HOURS = 12;
/** A spike needs at least this many failed runs in the hour: one or two failures are noise. */
const MIN_ERRORS = 3;
/**
 * Binomial tail probability below which failures are a spike: ~7 000 scenario-hours × 3 windows
 * in the synthetic evaluation give an expected 0.2 false alerts at this level (BENCHMARKS.md).
 */
const ERROR_P_VALUE = 1e-5;
const ERROR_WINDOWS_HOURS = [1, 3, 6];
const ERROR_MIN_EXCESS = 0.2;
/** Robust z on the log scale, and a floor on the ratio so a very steady scenario is not paged for +10%. */
const LOG_Z = 5;
/** A daily centre from fewer days would sit on the very samples whose spread it measures. */
const MIN_DAILY_SAMPLES = 7;
const MIN_RATIO = 1.5;
const MIN_SEASONAL_WEEKS = 2;
const STOPPED_MISSED_HOURS = 2;
/** One alert per scenario and kind within this many hours: a regression that lasts is one page. */
const COOLDOWN_HOURS = 6;

export interface Run {
  atMs: number;
  error: boolean;
  durationMs?: number;
  operations?: number;
}

export class ScenarioModel {
  private state: ModelState;
  private open?: OpenHour;
  private activeHours = new Set<number>();

  constructor(state?: ModelState) {
    this.state = state ?? { v: 1, firstHour: NaN, history: [], lastAlertHour: {} };
    for (const s of this.state.history) this.activeHours.add(s.h);
    const o = this.state.open;
    if (o) {
      this.open = new OpenHour(o.h);
      Object.assign(this.open, { n: o.n, e: o.e });
      this.open.durations.push(...o.durations);
      this.open.operations.push(...o.operations);
    }
  }

  /** Adds a finished run; returns the anomalies of the hour(s) this closed. */
  add(run: Run): Anomaly[] {
    const h = Math.floor(run.atMs / HOUR_MS);
    if (Number.isNaN(this.state.firstHour)) this.state.firstHour = h;
    const out: Anomaly[] = [];
    if (this.open && h > this.open.h) out.push(...this.close());
    if (this.open === undefined || h === this.open.h) {
      this.open ??= new OpenHour(h);
      this.open.add(run);
    } else {
      // A late run of an hour already closed: count it, the medians stay as they were.
      const past = this.state.history.find((s) => s.h === h);
      if (past) {
        past.n++;
        if (run.error) past.e++;
      }
    }
    if (this.state.lastRunMs === undefined || run.atMs > this.state.lastRunMs) this.state.lastRunMs = run.atMs;
    this.state.stoppedSince = undefined;
    return out;
  }

  /**
   * The clock moved to `nowMs` (no run needed): closes the open hour once `graceMs` past its end
   * (late runs) and checks for a stopped scenario.
   */
  tick(nowMs: number, graceMs: number): Anomaly[] {
    const out: Anomaly[] = [];
    if (this.open && nowMs >= (this.open.h + 1) * HOUR_MS + graceMs) out.push(...this.close());
    const stopped = this.checkStopped(nowMs, graceMs);
    if (stopped) out.push(stopped);
    return out;
  }

  snapshot(): ModelState {
    const o = this.open;
    return { ...this.state, open: o ? { h: o.h, n: o.n, e: o.e, durations: [...o.durations], operations: [...o.operations] } : undefined };
  }

  private close(): Anomaly[] {
    const s = this.open!.summary();
    this.open = undefined;
    const history = this.state.history.filter((x) => x.h >= s.h - HISTORY_HOURS && x.h < s.h);
    const out: Anomaly[] = [];
    if (s.h - this.state.firstHour >= MIN_HISTORY_HOURS && history.length >= MIN_ACTIVE_HOURS) {
      const window = { windowStartMs: s.h * HOUR_MS, windowEndMs: (s.h + 1) * HOUR_MS, runs: s.n };
      const err = errorSpike(s, history);
      if (err) out.push({ ...err, ...window });
      // A regression is a level that stays: two active hours in a row above the limit. One slow
      // hour is a slow upstream API, not a change worth a page.
      const dur = this.sustained('duration_regression', multiplicativeJump(s.d, s.h, history, (x) => x.d));
      if (dur) out.push({ kind: 'duration_regression', severity: dur.observed >= 3 * dur.baseline ? 'ERROR' : 'WARN', metric: 'duration_ms', ...dur, ...window });
      const ops = this.sustained('operations_spike', multiplicativeJump(s.o, s.h, history, (x) => x.o));
      if (ops) out.push({ kind: 'operations_spike', severity: 'WARN', metric: 'operations', ...ops, ...window });
    }
    this.state.history = [...history, s];
    this.activeHours = new Set(this.state.history.map((x) => x.h));
    return out.filter((a) => this.allow(a.kind, s.h));
  }

  private sustained<T>(kind: 'duration_regression' | 'operations_spike', found: T | undefined): T | undefined {
    const high = (this.state.high ??= {});
    const before = high[kind] === true;
    high[kind] = found !== undefined;
    return before ? found : undefined;
  }

  private allow(kind: AnomalyKind, h: number): boolean {
    const last = this.state.lastAlertHour[kind];
    if (last !== undefined && h - last < COOLDOWN_HOURS) return false;
    this.state.lastAlertHour[kind] = h;
    return true;
  }

  /** Hours since the last run in which this scenario was expected to run. */
  private checkStopped(nowMs: number, graceMs: number): Anomaly | undefined {
    const last = this.state.lastRunMs;
    if (last === undefined || this.state.stoppedSince !== undefined) return undefined;
    const firstHour = this.state.firstHour;
    const lastHour = Math.floor(last / HOUR_MS);
    // Hours fully over (with the grace for late listings) since the hour of the last run.
    const endHour = Math.floor((nowMs - graceMs) / HOUR_MS);
    if (lastHour - firstHour < MIN_HISTORY_HOURS) return undefined;
    let missed = 0;
    for (let h = lastHour + 1; h < endHour; h++) if (this.expected(h, firstHour)) missed++;
    if (missed < STOPPED_MISSED_HOURS) return undefined;
    this.state.stoppedSince = last;
    const hoursSilent = (nowMs - last) / HOUR_MS;
    return {
      kind: 'stopped', severity: 'ERROR', metric: 'runs', observed: 0, baseline: missed, threshold: STOPPED_MISSED_HOURS,
      windowStartMs: last, windowEndMs: nowMs, runs: Math.round(hoursSilent),
    };
  }

  private expected(h: number, firstHour: number): boolean {
    const weeks = [1, 2, 3, 4].map((k) => h - k * HOURS_PER_WEEK).filter((x) => x >= firstHour);
    if (weeks.length >= MIN_SEASONAL_WEEKS) return weeks.every((x) => this.activeHours.has(x));
    const days = [1, 2, 3, 4, 5, 6, 7].map((k) => h - k * 24).filter((x) => x >= firstHour);
    // A full week of days, 6 of 7 active: a weekday-only scenario is not expected on Sunday.
    if (days.length < 7) return false;
    return days.filter((x) => this.activeHours.has(x)).length >= 6;
  }
}

function errorSpike(s: HourSummary, history: HourSummary[]): Omit<Anomaly, 'windowStartMs' | 'windowEndMs' | 'runs'> | undefined {
  for (const hours of ERROR_WINDOWS_HOURS) {
    const inWindow = (x: HourSummary) => x.h > s.h - hours;
    let n = s.n;
    let k = s.e;
    let baseN = 0;
    let baseE = 0;
    for (const x of history) {
      if (inWindow(x)) {
        n += x.n;
        k += x.e;
      } else {
        baseN += x.n;
        baseE += x.e;
      }
    }
    if (k < MIN_ERRORS) continue;
    const p0 = Math.max((baseE + 0.5) / (baseN + 1), 0.005);
    const rate = k / n;
    const threshold = Math.max(p0 + ERROR_MIN_EXCESS, 3 * p0);
    if (rate < threshold || binomialTail(k, n, p0) >= ERROR_P_VALUE) continue;
    return { kind: 'error_rate_spike', severity: rate >= 0.5 ? 'ERROR' : 'WARN', metric: 'error_rate', observed: rate, baseline: p0, threshold };
  }
  return undefined;
}

/** An hour whose median (duration, operations) is far above the usual on a log scale. */
function multiplicativeJump(value: number, h: number, history: HourSummary[], pick: (x: HourSummary) => number): { observed: number; baseline: number; threshold: number } | undefined {
  if (value < 0) return undefined;
  const known = history.filter((x) => pick(x) >= 0);
  if (known.length < MIN_ACTIVE_HOURS) return undefined;
  const log = (x: HourSummary) => Math.log1p(pick(x));
  const byHourOfDay = new Map<number, number[]>();
  for (const x of known) {
    const list = byHourOfDay.get(x.h % 24) ?? [];
    list.push(log(x));
    byHourOfDay.set(x.h % 24, list);
  }
  const globalCenter = median(known.map(log));
  const centers = new Map<number, number>();
  for (const [hod, list] of byHourOfDay) centers.set(hod, list.length >= MIN_DAILY_SAMPLES ? median(list) : globalCenter);
  const dailyCenter = (hod: number) => centers.get(hod) ?? globalCenter;
  // Spread after removing the daily pattern: a scenario that is slower every afternoon is not noisy.
  const spread = scaledMad(known.map((x) => log(x) - dailyCenter(x.h % 24)), 0);
  const weekly = known.filter((x) => (h - x.h) % HOURS_PER_WEEK === 0).map(log);
  // Two weeks make a weekly baseline; with one, take the higher of it and the daily one, so that a
  // slow Monday morning seen once is not a regression the next Monday.
  const center = weekly.length >= MIN_SEASONAL_WEEKS ? median(weekly) : Math.max(dailyCenter(h % 24), ...weekly);
  const limit = center + Math.max(LOG_Z * spread, Math.log(MIN_RATIO));
  const observed = Math.log1p(value);
  if (observed <= limit) return undefined;
  return { observed: value, baseline: Math.expm1(center), threshold: Math.expm1(limit) };
}
