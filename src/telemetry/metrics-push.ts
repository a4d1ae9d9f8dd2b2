import type { Registry } from 'prom-client';
import type { Logger } from './logger.js';
import { redact } from './secrets.js';

/**
 * The gateway's own metrics pushed over OTLP/HTTP JSON every `interval`
 * (service.telemetry.metrics.readers[].periodic, as the Collector configures it). The source is the
 * same prom-client registry /metrics serves: counters become monotonic cumulative sums (without the
 * `_total` suffix Prometheus adds, as OTLP names them), gauges gauges, histograms histograms.
 */

export interface MetricsPushOptions {
  endpoint: string;
  headers: Record<string, string>;
  intervalMs: number;
  timeoutMs: number;
  version: string;
}

type PromMetric = Awaited<ReturnType<Registry['getMetricsAsJSON']>>[number];
type Labels = Record<string, string | number>;

const attributes = (labels: Labels) => Object.entries(labels).map(([key, v]) => ({ key, value: { stringValue: String(v) } }));

function toOtlp(m: PromMetric, startNs: string, nowNs: string): object | undefined {
  const values = (m as { values?: { value: number; labels: Labels; metricName?: string }[] }).values ?? [];
  const point = (v: { value: number; labels: Labels }) => ({ attributes: attributes(v.labels), startTimeUnixNano: startNs, timeUnixNano: nowNs, asDouble: v.value });
  switch (m.type as unknown as string) {
    case 'counter':
      return { name: m.name.replace(/_total$/, ''), description: m.help, sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: values.map(point) } };
    case 'gauge':
      return { name: m.name, description: m.help, gauge: { dataPoints: values.map(point) } };
    case 'histogram': {
      // prom-client lists _bucket (cumulative, by `le`), _sum and _count samples per label set.
      const series = new Map<string, { labels: Labels; bounds: number[]; cumulative: number[]; sum: number; count: number }>();
      for (const v of values) {
        const { le, ...labels } = v.labels;
        const key = JSON.stringify(labels);
        const s = series.get(key) ?? { labels, bounds: [], cumulative: [], sum: 0, count: 0 };
        series.set(key, s);
        if (v.metricName?.endsWith('_bucket') && le !== '+Inf') {
          s.bounds.push(Number(le));
          s.cumulative.push(v.value);
        } else if (v.metricName?.endsWith('_sum')) s.sum = v.value;
        else if (v.metricName?.endsWith('_count')) s.count = v.value;
      }
      const dataPoints = [...series.values()].map((s) => {
        const counts = [...s.cumulative, s.count].map((c, i, all) => String(c - (i > 0 ? all[i - 1]! : 0)));
        return { attributes: attributes(s.labels), startTimeUnixNano: startNs, timeUnixNano: nowNs, count: String(s.count), sum: s.sum, bucketCounts: counts, explicitBounds: s.bounds };
      });
      return { name: m.name, description: m.help, histogram: { aggregationTemporality: 2, dataPoints } };
    }
    default:
      return undefined;
  }
}

export class MetricsPusher {
  private timer?: NodeJS.Timeout;
  private readonly startNs = `${BigInt(Date.now()) * 1_000_000n}`;
  private failing = false;

  constructor(
    private readonly registry: Registry,
    private readonly options: MetricsPushOptions,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.push(), this.options.intervalMs);
    this.timer.unref();
  }

  async shutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.push();
  }

  /** One export; failures are logged once per failing spell, never thrown. */
  async push(): Promise<void> {
    const nowNs = `${BigInt(Date.now()) * 1_000_000n}`;
    const metrics = (await this.registry.getMetricsAsJSON()).map((m) => toOtlp(m, this.startNs, nowNs)).filter((m) => m !== undefined);
    const body = {
      resourceMetrics: [
        {
          resource: { attributes: attributes({ 'service.name': 'make-otel-gateway', 'service.version': this.options.version }) },
          scopeMetrics: [{ scope: { name: 'make-otel-gateway' }, metrics }],
        },
      ],
    };
    try {
      const res = await fetch(this.options.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...this.options.headers },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      if (this.failing) this.logger.info('pushing the gateway\'s own metrics works again', { endpoint: this.options.endpoint });
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.logger.warn('could not push the gateway\'s own metrics over OTLP', { endpoint: this.options.endpoint, error: redact((err as Error).message) });
      this.failing = true;
    }
  }
}
