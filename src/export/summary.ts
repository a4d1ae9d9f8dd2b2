import { statusName, type MakeExecution } from '../receivers/make/mapping.js';
import type { MakeScenario } from '../receivers/make/scenarios.js';

/** What `summarize_executions` tells an assistant about one scenario over a range. */
export interface ScenarioSummary {
  scenarioId: number;
  name?: string;
  executions: number;
  byStatus: Record<string, number>;
  operations: number;
  centicredits: number;
  durationMs: { p50: number | null; p95: number | null };
}

export function summarize(scenario: MakeScenario, executions: MakeExecution[]): ScenarioSummary {
  const byStatus: Record<string, number> = { success: 0, warning: 0, error: 0 };
  let operations = 0;
  let centicredits = 0;
  const durations: number[] = [];
  for (const e of executions) {
    const s = statusName(e.status);
    byStatus[s] = (byStatus[s] ?? 0) + 1;
    operations += e.operations ?? 0;
    centicredits += e.centicredits ?? 0;
    if (typeof e.duration === 'number') durations.push(e.duration);
  }
  durations.sort((a, b) => a - b);
  return {
    scenarioId: scenario.id,
    ...(scenario.name ? { name: scenario.name } : {}),
    executions: executions.length,
    byStatus,
    operations,
    centicredits,
    durationMs: { p50: percentile(durations, 0.5), p95: percentile(durations, 0.95) },
  };
}

/** Nearest-rank percentile (no interpolation: the value is one that occurred). */
export function percentile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];
}
