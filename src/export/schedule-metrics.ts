import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * Metrics of scheduled exports, on the gateway's registry: runs by final state (`skipped` when a
 * run was due while the previous one still ran), records exported, and the last success time.
 */
export class ScheduleMetrics {
  readonly runs: Counter<'job' | 'state'>;
  readonly records: Counter<'job'>;
  readonly lastSuccess: Gauge<'job'>;

  constructor(registry: Registry) {
    this.runs = reuse(registry, 'gateway_export_runs_total', () => new Counter({ name: 'gateway_export_runs_total', help: 'Scheduled export runs, by job and final state (succeeded, failed, cancelled, skipped).', labelNames: ['job', 'state'], registers: [registry] }));
    this.records = reuse(registry, 'gateway_export_records_total', () => new Counter({ name: 'gateway_export_records_total', help: 'Log records exported by scheduled runs.', labelNames: ['job'], registers: [registry] }));
    this.lastSuccess = reuse(registry, 'gateway_export_last_success_timestamp_seconds', () => new Gauge({ name: 'gateway_export_last_success_timestamp_seconds', help: 'When the last successful run of a scheduled export ended (Unix seconds).', labelNames: ['job'], registers: [registry] }));
  }
}

/** Two make_exports extensions in one gateway share the metrics. */
function reuse<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}
