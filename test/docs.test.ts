import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../src/errors.js';
import { Telemetry } from '../src/telemetry/telemetry.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('the README stays in step with the code', () => {
  it('documents every error code', () => {
    for (const code of Object.keys(ErrorCodes)) expect(readme, code).toContain(`\`${code}\``);
  });

  it('documents every metric the gateway registers', async () => {
    const t = new Telemetry({ processMetrics: false });
    const names = (await t.registry.getMetricsAsJSON()).map((m) => m.name);
    expect(names.length).toBeGreaterThan(20);
    for (const name of names) expect(readme, name).toContain(name);
  });

  it('documents the scheduled-export metrics', async () => {
    const { Registry } = await import('prom-client');
    const { ScheduleMetrics } = await import('../src/export/schedule-metrics.js');
    const registry = new Registry();
    new ScheduleMetrics(registry);
    const names = (await registry.getMetricsAsJSON()).map((m) => m.name);
    expect(names).toHaveLength(3);
    for (const name of names) expect(readme, name).toContain(name);
  });

  it('gives the two set-up commands', () => {
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm test');
  });
});
