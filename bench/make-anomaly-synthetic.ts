/**
 * Deterministic synthetic Make executions for the make_anomaly evaluation: six weeks of runs of a
 * handful of scenario shapes (every few minutes around the clock, business hours only with a
 * slow Monday morning, hourly, daily, a busy one), optionally with injected anomalies. Same seed,
 * same runs: the unit test and bench/make-anomaly.ts see identical data.
 */
import type { AnomalyKind } from '../src/processors/make_anomaly/scenario-model.js';

export interface SyntheticRun {
  scenarioId: string;
  atMs: number;
  error: boolean;
  durationMs: number;
  operations: number;
}

export interface Injection {
  scenarioId: string;
  kind: AnomalyKind;
  startMs: number;
  endMs: number;
  factor: number;
}

interface Shape {
  id: string;
  everyMin: number;
  offsetMin: number;
  /** Runs only in this predicate's hours. */
  active: (d: Date) => boolean;
  medianMs: number;
  sigma: number;
  ops: number;
  errorRate: number;
  /** Multiplies the duration by hour (load pattern, weekly seasonality). */
  season: (d: Date) => number;
}

const H = 3_600_000;
const DAY = 24 * H;
export const START_MS = Date.parse('2026-01-05T00:00:00Z'); // a Monday
export const WEEKS = 6;
export const END_MS = START_MS + WEEKS * 7 * DAY;
const always = () => true;
const flat = () => 1;
const weekdayBusiness = (d: Date) => d.getUTCDay() >= 1 && d.getUTCDay() <= 5 && d.getUTCHours() >= 8 && d.getUTCHours() < 18;

export const SHAPES: Shape[] = [
  { id: '101', everyMin: 15, offsetMin: 0, active: always, medianMs: 2_000, sigma: 0.25, ops: 5, errorRate: 0.02, season: flat },
  { id: '102', everyMin: 5, offsetMin: 1, active: weekdayBusiness, medianMs: 8_000, sigma: 0.2, ops: 12, errorRate: 0.03, season: (d) => (d.getUTCDay() === 1 && d.getUTCHours() < 12 ? 1.6 : 1) },
  { id: '103', everyMin: 60, offsetMin: 5, active: always, medianMs: 30_000, sigma: 0.15, ops: 40, errorRate: 0.01, season: flat },
  { id: '104', everyMin: 10, offsetMin: 3, active: always, medianMs: 5_000, sigma: 0.25, ops: 8, errorRate: 0.05, season: (d) => (d.getUTCHours() >= 9 && d.getUTCHours() < 17 ? 1.4 : 1) },
  { id: '105', everyMin: 24 * 60, offsetMin: 6 * 60, active: always, medianMs: 120_000, sigma: 0.2, ops: 300, errorRate: 0, season: flat },
  { id: '106', everyMin: 2, offsetMin: 0, active: always, medianMs: 900, sigma: 0.3, ops: 3, errorRate: 0.01, season: flat },
  { id: '107', everyMin: 20, offsetMin: 7, active: always, medianMs: 15_000, sigma: 0.2, ops: 25, errorRate: 0.1, season: flat },
];

const at = (week: number, day: number, hour: number) => START_MS + (week * 7 + day) * DAY + hour * H;

/** The injected set: error spikes, duration regressions, operations spikes, stopped scenarios. */
export const INJECTIONS: Injection[] = [
  { scenarioId: '101', kind: 'error_rate_spike', startMs: at(2, 1, 10), endMs: at(2, 1, 12), factor: 0.6 },
  { scenarioId: '104', kind: 'error_rate_spike', startMs: at(2, 3, 3), endMs: at(2, 3, 4), factor: 0.7 },
  { scenarioId: '106', kind: 'error_rate_spike', startMs: at(3, 0, 14), endMs: at(3, 0, 15), factor: 0.3 },
  { scenarioId: '102', kind: 'error_rate_spike', startMs: at(3, 2, 9), endMs: at(3, 2, 11), factor: 0.5 },
  { scenarioId: '107', kind: 'error_rate_spike', startMs: at(4, 4, 20), endMs: at(4, 4, 23), factor: 0.8 },
  { scenarioId: '106', kind: 'error_rate_spike', startMs: at(5, 5, 2), endMs: at(5, 5, 3), factor: 0.5 },
  { scenarioId: '101', kind: 'duration_regression', startMs: at(2, 4, 0), endMs: at(2, 4, 8), factor: 3 },
  { scenarioId: '104', kind: 'duration_regression', startMs: at(3, 5, 12), endMs: at(3, 5, 18), factor: 2.5 },
  { scenarioId: '103', kind: 'duration_regression', startMs: at(4, 1, 0), endMs: at(4, 1, 12), factor: 2.5 },
  { scenarioId: '106', kind: 'duration_regression', startMs: at(4, 6, 6), endMs: at(4, 6, 10), factor: 2.5 },
  { scenarioId: '102', kind: 'duration_regression', startMs: at(5, 2, 13), endMs: at(5, 2, 17), factor: 2.5 },
  { scenarioId: '107', kind: 'operations_spike', startMs: at(3, 3, 6), endMs: at(3, 3, 9), factor: 4 },
  { scenarioId: '101', kind: 'operations_spike', startMs: at(5, 0, 18), endMs: at(5, 0, 21), factor: 3 },
  { scenarioId: '103', kind: 'stopped', startMs: at(5, 3, 12), endMs: at(WEEKS, 0, 0), factor: 0 },
  { scenarioId: '102', kind: 'stopped', startMs: at(4, 2, 12), endMs: at(4, 3, 12), factor: 0 },
];

/** mulberry32: a tiny deterministic PRNG (the evaluation must be reproducible to the run). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand());
}

/** Every run of every scenario over WEEKS weeks, in time order. */
export function generateRuns(options: { seed?: number; injections?: Injection[] } = {}): SyntheticRun[] {
  const rand = prng(options.seed ?? 42);
  const injections = options.injections ?? [];
  const end = END_MS;
  const runs: SyntheticRun[] = [];
  for (const s of SHAPES) {
    for (let t = START_MS + s.offsetMin * 60_000; t < end; t += s.everyMin * 60_000) {
      const d = new Date(t);
      if (!s.active(d)) continue;
      const active = injections.filter((i) => i.scenarioId === s.id && t >= i.startMs && t < i.endMs);
      if (active.some((i) => i.kind === 'stopped')) continue;
      let errorRate = s.errorRate;
      let duration = s.medianMs * s.season(d) * Math.exp(s.sigma * gaussian(rand));
      let ops = Math.max(1, Math.round(s.ops * (1 + 0.15 * gaussian(rand))));
      for (const i of active) {
        if (i.kind === 'error_rate_spike') errorRate = i.factor;
        if (i.kind === 'duration_regression') duration *= i.factor;
        if (i.kind === 'operations_spike') ops = Math.round(ops * i.factor);
      }
      runs.push({ scenarioId: s.id, atMs: t, error: rand() < errorRate, durationMs: Math.round(duration), operations: ops });
    }
  }
  return runs.sort((a, b) => a.atMs - b.atMs || (a.scenarioId < b.scenarioId ? -1 : 1));
}
