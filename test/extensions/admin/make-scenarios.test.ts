import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { makeScenarios } from '../../../src/extensions/admin/status-page/make-scenarios.js';
import { TailMetrics } from '../../../src/tail/tail-metrics.js';
import { Telemetry } from '../../../src/telemetry/telemetry.js';

describe("the status page's Make scenarios", () => {
  it('joins poll lag, executions and errors per receiver and scenario from the receiver metrics', async () => {
    const t = new Telemetry({ processMetrics: false });
    t.makePollLag.set({ receiver: 'make', scenario_id: '12' }, 42);
    t.makeExecutions.inc({ receiver: 'make', scenario_id: '12' }, 10);
    t.makeExecutionErrors.inc({ receiver: 'make', scenario_id: '12' }, 3);
    t.makeExecutions.inc({ receiver: 'make', scenario_id: '7' }, 5);
    expect(await makeScenarios(t.registry)).toEqual([
      { receiver: 'make', scenario_id: '7', lag_seconds: null, executions: 5, errors: 0 },
      { receiver: 'make', scenario_id: '12', lag_seconds: 42, executions: 10, errors: 3 },
    ]);
  });

  it('is empty without a make receiver', async () => {
    expect(await makeScenarios(new Telemetry({ processMetrics: false }).registry)).toEqual([]);
  });

  it('has its metrics and the tail metrics listed in the README', async () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const registry = new Registry();
    new TailMetrics(registry);
    const names = (await registry.getMetricsAsJSON()).map((m) => m.name);
    expect(names).toHaveLength(3);
    for (const name of [...names, 'gateway_make_execution_errors_total']) expect(readme).toContain(name);
  });
});
