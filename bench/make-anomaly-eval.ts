/**
 * Runs the make_anomaly detector over synthetic runs and scores it against the injected set.
 * An injection is found when an alert of its kind for its scenario falls in its window (an hour of
 * slack either side; a stopped scenario within three days of stopping). An alert is a true
 * positive when it matches some injection; precision = true positives / alerts.
 */
import { AnomalyDetector, type ScenarioAnomaly } from '../src/processors/make_anomaly/detector.js';
import type { Injection, SyntheticRun } from './make-anomaly-synthetic.js';

const H = 3_600_000;
const TICK_MS = 5 * 60_000;
/** As the processor's default: the receiver delivers a run up to 45 minutes after it started. */
export const EVAL_GRACE_MS = 50 * 60_000;

export interface Score {
  alerts: ScenarioAnomaly[];
  found: Injection[];
  missed: Injection[];
  falseAlerts: ScenarioAnomaly[];
  recall: number;
  precision: number;
}

/** Feeds the runs in time order with a clock tick every 5 minutes, up to `endMs` (the data's end). */
export function detect(runs: SyntheticRun[], endMs: number): ScenarioAnomaly[] {
  const d = new AnomalyDetector(EVAL_GRACE_MS);
  const alerts: ScenarioAnomaly[] = [];
  let clock = runs.length > 0 ? runs[0].atMs : 0;
  for (const r of runs) {
    while (clock + TICK_MS <= r.atMs) {
      clock += TICK_MS;
      alerts.push(...d.tick(clock));
    }
    alerts.push(...d.add(r.scenarioId, { atMs: r.atMs, error: r.error, durationMs: r.durationMs, operations: r.operations }));
  }
  while (clock + TICK_MS <= endMs) {
    clock += TICK_MS;
    alerts.push(...d.tick(clock));
  }
  return alerts;
}

function matches(a: ScenarioAnomaly, i: Injection): boolean {
  if (a.scenarioId !== i.scenarioId || a.kind !== i.kind) return false;
  if (i.kind === 'stopped') return a.windowEndMs >= i.startMs && a.windowEndMs <= i.startMs + 72 * H;
  return a.windowStartMs >= i.startMs - H && a.windowStartMs <= i.endMs + H;
}

export function score(alerts: ScenarioAnomaly[], injections: Injection[]): Score {
  const found = injections.filter((i) => alerts.some((a) => matches(a, i)));
  const falseAlerts = alerts.filter((a) => !injections.some((i) => matches(a, i)));
  return {
    alerts,
    found,
    missed: injections.filter((i) => !found.includes(i)),
    falseAlerts,
    recall: injections.length === 0 ? 1 : found.length / injections.length,
    precision: alerts.length === 0 ? 1 : (alerts.length - falseAlerts.length) / alerts.length,
  };
}
