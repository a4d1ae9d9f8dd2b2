import { describe, expect, it } from 'vitest';
import { detect, score } from '../../../bench/make-anomaly-eval.js';
import { END_MS, INJECTIONS, generateRuns } from '../../../bench/make-anomaly-synthetic.js';

/**
 * Acceptance 3 on the deterministic synthetic series (bench/make-anomaly.ts reports all seeds in
 * BENCHMARKS.md): a clean six weeks raise no alert, and the injected error spikes, duration
 * regressions, operations spikes and stopped scenarios are found with recall and precision ≥ 0.9.
 */
describe('make_anomaly detection quality on synthetic Make executions', () => {
  it('raises no alert on six clean weeks', { timeout: 300_000 }, () => {
    const alerts = detect(generateRuns({ seed: 1 }), END_MS);
    expect(alerts.map((a) => `${a.kind} ${a.scenarioId} ${new Date(a.windowStartMs).toISOString()}`)).toEqual([]);
  });

  it('finds the injected anomalies with recall and precision of at least 0.9', { timeout: 300_000 }, () => {
    const s = score(detect(generateRuns({ seed: 1, injections: INJECTIONS }), END_MS), INJECTIONS);
    expect(s.recall).toBeGreaterThanOrEqual(0.9);
    expect(s.precision).toBeGreaterThanOrEqual(0.9);
    // Every kind is represented among the found ones, stopped scenarios included.
    expect(new Set(s.found.map((i) => i.kind))).toEqual(new Set(['error_rate_spike', 'duration_regression', 'operations_spike', 'stopped']));
  });
});
