import { describe, expect, it } from 'vitest';
import { Telemetry } from '../../src/telemetry/telemetry.js';

/** The Collector's process metrics, which Collector dashboards read. */

const valueOf = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);

describe('process metrics', () => {
  it('reports the CPU seconds the process used as a counter that grows with work', async () => {
    const telemetry = new Telemetry({ processMetrics: false });
    const first = valueOf(await telemetry.metrics(), 'otelcol_process_cpu_seconds_total');
    const { user, system } = process.cpuUsage();
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThanOrEqual((user + system) / 1e6);
    // Burn some CPU: the next scrape must show it.
    const until = performance.now() + 60;
    let x = 0;
    while (performance.now() < until) x += Math.sqrt(x + 1);
    expect(x).toBeGreaterThan(0);
    const second = valueOf(await telemetry.metrics(), 'otelcol_process_cpu_seconds_total');
    expect(second).toBeGreaterThan(first);
  });

  it('reports uptime and resident memory', async () => {
    const text = await new Telemetry({ processMetrics: false }).metrics();
    expect(valueOf(text, 'otelcol_process_uptime')).toBeGreaterThanOrEqual(0);
    expect(valueOf(text, 'otelcol_process_memory_rss')).toBeGreaterThan(1024 * 1024);
  });
});
