import type { GatewayView } from '../../pipeline/gateway-view.js';
import type { Telemetry } from '../../telemetry/telemetry.js';
import { metricSum } from './metric-values.js';
import { SERIES_STEP_MS, SERIES_WINDOW_MS, type RollingSeries } from './series.js';

/**
 * Every SERIES_STEP_MS, one point per chart series: per exporter the records sent per second and
 * the queue depth, per pipeline the records accepted per second (the sum over its receivers; a
 * receiver in two pipelines counts in both). Rates come from counter deltas, so a sample that is
 * late (a busy event loop) still gives the right average over the time that passed.
 */

export type SeriesMetric = 'sent_records_per_second' | 'queue_size' | 'accepted_records_per_second';

export interface SeriesKey {
  kind: 'exporter' | 'pipeline';
  id: string;
  metric: SeriesMetric;
}

export const seriesName = (k: SeriesKey) => `${k.kind}/${k.id}/${k.metric}`;

export function parseSeriesName(name: string): SeriesKey | undefined {
  const first = name.indexOf('/');
  const last = name.lastIndexOf('/');
  if (first <= 0 || last <= first) return undefined;
  const kind = name.slice(0, first);
  if (kind !== 'exporter' && kind !== 'pipeline') return undefined;
  return { kind, id: name.slice(first + 1, last), metric: name.slice(last + 1) as SeriesMetric };
}

export class SeriesSampler {
  private timer?: NodeJS.Timeout;
  private readonly last = new Map<string, { atMs: number; total: number }>();

  constructor(
    private readonly gateway: GatewayView,
    private readonly telemetry: Telemetry,
    private readonly series: RollingSeries,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    void this.sample();
    this.timer = setInterval(() => void this.sample(), SERIES_STEP_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One round of points (public for tests). */
  async sample(): Promise<void> {
    const t = this.telemetry;
    const exporters = new Set<string>();
    for (const p of this.gateway.pipelines()) {
      let accepted = 0;
      for (const r of p.receivers) accepted += await metricSum(t.receiverAccepted, { receiver: r.id });
      this.rate({ kind: 'pipeline', id: p.id, metric: 'accepted_records_per_second' }, accepted);
      for (const e of p.exporters) exporters.add(e.id);
    }
    for (const id of exporters) {
      this.rate({ kind: 'exporter', id, metric: 'sent_records_per_second' }, await metricSum(t.exporterSent, { exporter: id }));
      this.series.record(seriesName({ kind: 'exporter', id, metric: 'queue_size' }), this.gateway.exporter(id)?.queue?.size() ?? 0, this.now());
    }
  }

  /** A counter's rate since the previous sample; the first sample only sets the baseline (0). */
  private rate(key: SeriesKey, total: number): void {
    const name = seriesName(key);
    const now = this.now();
    const before = this.last.get(name);
    this.last.set(name, { atMs: now, total });
    const seconds = before ? (now - before.atMs) / 1000 : 0;
    this.series.record(name, seconds > 0 ? Math.max(0, total - before!.total) / seconds : 0, now);
  }
}

export function seriesView(series: RollingSeries) {
  return {
    stepSeconds: SERIES_STEP_MS / 1000,
    windowSeconds: SERIES_WINDOW_MS / 1000,
    series: series.names().flatMap((name) => {
      const key = parseSeriesName(name);
      return key ? [{ name, ...key, points: series.points(name) }] : [];
    }),
  };
}
