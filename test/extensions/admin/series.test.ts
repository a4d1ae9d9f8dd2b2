import { describe, expect, it } from 'vitest';
import type { GatewayView } from '../../../src/pipeline/gateway-view.js';
import { SeriesSampler, seriesView } from '../../../src/extensions/admin/sampler.js';
import { RollingSeries, SERIES_POINTS, SERIES_STEP_MS, SERIES_WINDOW_MS } from '../../../src/extensions/admin/series.js';
import { Telemetry } from '../../../src/telemetry/telemetry.js';

/** Rolling metrics for the status page's charts: ring buffers, 15 min at 5 s, rates from counters. */
describe('rolling series', () => {
  it('keeps at most 15 minutes of points per series, oldest first', () => {
    let now = 1_000_000;
    const series = new RollingSeries(() => now);
    for (let i = 0; i < SERIES_POINTS + 20; i++) {
      series.record('s', i);
      now += SERIES_STEP_MS;
    }
    const points = series.points('s');
    expect(points.length).toBeLessThanOrEqual(SERIES_POINTS);
    expect(points[points.length - 1]!.v).toBe(SERIES_POINTS + 19);
    expect(points[0]!.t).toBeGreaterThanOrEqual(now - SERIES_WINDOW_MS);
    expect(points.map((p) => p.t)).toEqual([...points.map((p) => p.t)].sort((a, b) => a - b));
    expect(series.points('unknown')).toEqual([]);
  });

  it('samples exporter throughput and queue depth and pipeline intake as rates', async () => {
    let now = 0;
    const telemetry = new Telemetry({ processMetrics: false });
    let queued = 7;
    const gateway = {
      pipelines: () => [{ id: 'logs', receivers: [{ id: 'otlp', kind: 'receiver', state: 'running' }], processors: [], exporters: [{ id: 'otlphttp', kind: 'exporter', state: 'running' }] }],
      exporter: () => ({ queue: { size: () => queued }, persistent: true, delivery: { failedAttempts: 0 } }),
    } as unknown as GatewayView;
    const series = new RollingSeries(() => now);
    const sampler = new SeriesSampler(gateway, telemetry, series, () => now);
    await sampler.sample();
    telemetry.exporterSent.inc({ exporter: 'otlphttp' }, 500);
    telemetry.receiverAccepted.inc({ receiver: 'otlp', transport: 'http' }, 1000);
    queued = 3;
    now += SERIES_STEP_MS;
    await sampler.sample();
    const view = seriesView(series);
    const byName = Object.fromEntries(view.series.map((s) => [s.name, s.points.map((p) => p.v)]));
    expect(byName['exporter/otlphttp/sent_records_per_second']).toEqual([0, 100]);
    expect(byName['pipeline/logs/accepted_records_per_second']).toEqual([0, 200]);
    expect(byName['exporter/otlphttp/queue_size']).toEqual([7, 3]);
    expect(view.series.find((s) => s.name === 'exporter/otlphttp/queue_size')).toMatchObject({ kind: 'exporter', id: 'otlphttp', metric: 'queue_size' });
  });
});
