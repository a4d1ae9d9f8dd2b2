import { Counter, Gauge, type Registry } from 'prom-client';

/** The live tail's own metrics, on the gateway's registry (listed in the README). */
export class TailMetrics {
  readonly subscribers: Gauge<'pipeline'>;
  readonly dropped: Counter<'pipeline'>;
  readonly cutOff: Counter<'pipeline' | 'reason'>;

  constructor(registry: Registry) {
    this.subscribers = reuse(registry, 'gateway_tail_subscribers', () => new Gauge({ name: 'gateway_tail_subscribers', help: 'Live tail subscribers attached now.', labelNames: ['pipeline'], registers: [registry] }));
    this.dropped = reuse(registry, 'gateway_tail_dropped_log_records_total', () => new Counter({ name: 'gateway_tail_dropped_log_records_total', help: 'Log records a live tail subscriber did not get because of sampling or a cut-off (counted when the subscriber ends).', labelNames: ['pipeline'], registers: [registry] }));
    this.cutOff = reuse(registry, 'gateway_tail_cut_off_subscribers_total', () => new Counter({ name: 'gateway_tail_cut_off_subscribers_total', help: 'Live tail subscribers cut off, by reason (slow_subscriber: its buffer was full).', labelNames: ['pipeline', 'reason'], registers: [registry] }));
  }
}

function reuse<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}
