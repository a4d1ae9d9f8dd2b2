import { Counter, Histogram, type Registry } from 'prom-client';
import type { Predicate, TransformContext } from '../../ottl/index.js';
import type { MetricConfig } from './config.js';
import { compileValue, compileWhere, labelOf, numberOf, type ValueGetter } from './expressions.js';

/** Why an observation was not recorded (the `reason` label of the dropped counter). */
export type DropReason = 'max_series' | 'no_value' | 'negative';

/** One configured metric: its compiled where/value/labels and the prom-client instrument. */
export class Instrument {
  readonly name: string;
  private readonly where?: Predicate;
  private readonly value?: ValueGetter;
  private readonly labels: [string, ValueGetter][];
  private readonly counter?: Counter;
  private readonly histogram?: Histogram;

  constructor(
    readonly config: MetricConfig,
    index: number,
    registry: Registry,
  ) {
    this.name = config.name;
    const at = (key: string, ...rest: string[]) => ['metrics', index, key, ...rest];
    this.where = config.where ? compileWhere(config.where, at('where')) : undefined;
    this.value = config.value ? compileValue(config.value, at('value')) : undefined;
    this.labels = Object.entries(config.labels).map(([k, src]) => [k, compileValue(src, at('labels', k))]);
    const labelNames = this.labels.map(([k]) => k);
    // Two pipelines may each run a log_metrics with the same metric: they share one series set.
    const existing = registry.getSingleMetric(config.name);
    if (existing) {
      const same = existing instanceof (config.type === 'histogram' ? Histogram : Counter);
      if (!same) throw new Error(`metric ${config.name} is already registered with another type`);
      if (config.type === 'histogram') this.histogram = existing as Histogram;
      else this.counter = existing as Counter;
      return;
    }
    const common = { name: config.name, help: config.description || `log_metrics: ${config.name}`, labelNames, registers: [registry] };
    if (config.type === 'histogram') this.histogram = new Histogram({ ...common, buckets: config.buckets ?? [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
    else this.counter = new Counter(common);
  }

  /** true when the record is for this metric. Throws OttlRuntimeError on evaluation errors. */
  matches(ctx: TransformContext): boolean {
    return this.where ? this.where(ctx) : true;
  }

  /** The label values of this record, in label order. */
  labelValues(ctx: TransformContext): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, get] of this.labels) out[k] = labelOf(get(ctx));
    return out;
  }

  /** The number to add or observe; a DropReason when there is none usable. */
  amount(ctx: TransformContext): number | DropReason {
    if (!this.value) return 1;
    const n = numberOf(this.value(ctx));
    if (n === undefined) return 'no_value';
    if (n < 0 && this.counter) return 'negative';
    return n;
  }

  record(labels: Record<string, string>, amount: number): void {
    if (this.histogram) this.histogram.observe(labels, amount);
    else this.counter!.inc(labels, amount);
  }
}
