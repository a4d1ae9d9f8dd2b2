import type { Registry } from 'prom-client';

/** One Make scenario as the status page shows it. */
export interface ScenarioRow {
  receiver: string;
  scenario_id: string;
  /** Now minus the newest execution seen; null before the first poll found one. */
  lag_seconds: number | null;
  executions: number;
  errors: number;
}

/**
 * What the Make receiver exposes per scenario, read from the gateway's metrics (the receiver
 * keeps no other per-scenario state the control plane could read): poll lag
 * (`gateway_make_poll_lag_seconds`), executions ingested (`gateway_make_executions_ingested_total`)
 * and executions that ended in error (`gateway_make_execution_errors_total`).
 */
export async function makeScenarios(registry: Registry): Promise<ScenarioRow[]> {
  const metrics = await registry.getMetricsAsJSON();
  const values = (name: string) => metrics.find((m) => m.name === name)?.values ?? [];
  const rows = new Map<string, ScenarioRow>();
  const row = (labels: Partial<Record<string, string | number>>) => {
    const receiver = String(labels.receiver ?? '');
    const scenario = String(labels.scenario_id ?? '');
    const key = `${receiver}\u0000${scenario}`;
    let r = rows.get(key);
    if (!r) rows.set(key, (r = { receiver, scenario_id: scenario, lag_seconds: null, executions: 0, errors: 0 }));
    return r;
  };
  for (const v of values('gateway_make_poll_lag_seconds')) row(v.labels).lag_seconds = v.value;
  for (const v of values('gateway_make_executions_ingested_total')) row(v.labels).executions = v.value;
  for (const v of values('gateway_make_execution_errors_total')) row(v.labels).errors = v.value;
  return [...rows.values()].sort((a, b) => a.receiver.localeCompare(b.receiver) || a.scenario_id.localeCompare(b.scenario_id, undefined, { numeric: true }));
}
