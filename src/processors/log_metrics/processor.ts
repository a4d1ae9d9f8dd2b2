import { Counter, type Registry } from 'prom-client';
import type { Logs } from '../../pdata/model.js';
import type { Component, CreateSettings, Host, LogsConsumer } from '../../pipeline/component.js';
import { passOn } from '../helper/pass-on.js';
import { StatementErrors } from '../../ottl/error-mode.js';
import { newContext } from '../../ottl/index.js';
import type { LogMetricsConfig } from './config.js';
import { Instrument, type DropReason } from './instruments.js';

export const DROPPED_METRIC = 'gateway_log_metrics_dropped_total';

interface Observation {
  instrument: Instrument;
  labels: Record<string, string>;
  amount: number;
}

/**
 * Derives Prometheus metrics from log records and passes the records on unchanged. The metrics
 * live on the gateway's registry (its metrics endpoint). Observations are applied only once the
 * batch was accepted downstream: a refused batch is sent again by its receiver and must not count
 * twice. Series are bounded by `max_series` per processor; observations past it are dropped and
 * counted in gateway_log_metrics_dropped_total{reason="max_series"}.
 */
export class LogMetricsProcessor implements Component, LogsConsumer {
  private readonly instruments: Instrument[];
  private readonly series = new Set<string>();
  private readonly dropped: Counter<'processor' | 'metric' | 'reason'>;
  private readonly errors: StatementErrors;

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: LogMetricsConfig,
    private readonly next: LogsConsumer,
  ) {
    const registry = settings.telemetry.registry;
    this.instruments = config.metrics.map((m, i) => new Instrument(m, i, registry));
    this.dropped = droppedCounter(registry);
    this.errors = new StatementErrors(settings);
  }

  async start(_host: Host): Promise<void> {}
  async shutdown(): Promise<void> {}

  async consume(logs: Logs, signal?: AbortSignal): Promise<void> {
    let observations: ReturnType<LogMetricsProcessor['observe']> = [];
    await passOn(this.settings, this.next, logs, signal, () => (observations = this.observe(logs)));
    // Counted once the request went through: a refused one is sent again, and would count twice.
    for (const o of observations) this.apply(o);
  }

  private observe(logs: Logs): Observation[] {
    const out: Observation[] = [];
    try {
      for (const rl of logs.resourceLogs) {
        const ctx = newContext(rl);
        for (const sl of rl.scopeLogs) {
          ctx.scopeLogs = sl;
          for (const record of sl.logRecords) {
            ctx.record = record;
            for (const instrument of this.instruments) {
              try {
                if (!instrument.matches(ctx)) continue;
                const amount = instrument.amount(ctx);
                if (typeof amount === 'string') this.drop(instrument, amount);
                else out.push({ instrument, labels: instrument.labelValues(ctx), amount });
              } catch (err) {
                // A metric must never stop logs: a failing expression is logged once per batch.
                this.errors.record('ignore', instrument.name, err);
              }
            }
          }
        }
      }
    } finally {
      this.errors.flush();
    }
    return out;
  }

  private apply(o: Observation): void {
    const key = `${o.instrument.name}\u0000${JSON.stringify(o.labels)}`;
    if (!this.series.has(key)) {
      if (this.series.size >= this.config.maxSeries) {
        this.drop(o.instrument, 'max_series');
        return;
      }
      this.series.add(key);
    }
    o.instrument.record(o.labels, o.amount);
  }

  private drop(instrument: Instrument, reason: DropReason): void {
    this.dropped.inc({ processor: this.settings.id, metric: instrument.name, reason });
  }
}

function droppedCounter(registry: Registry): Counter<'processor' | 'metric' | 'reason'> {
  const existing = registry.getSingleMetric(DROPPED_METRIC);
  if (existing) return existing as Counter<'processor' | 'metric' | 'reason'>;
  return new Counter({
    name: DROPPED_METRIC,
    help: 'log_metrics observations not recorded: past max_series, no numeric value, or a negative sum.',
    labelNames: ['processor', 'metric', 'reason'],
    registers: [registry],
  });
}
