import { z } from 'zod';
import { OttlConfigError } from '../../ottl/index.js';
import { compileValue, compileWhere } from './expressions.js';
import { MAKE_PRESET } from './preset-make.js';

/**
 * The `log_metrics` processor's config, after the Collector's `signaltometrics` connector and
 * Vector's `log_to_metric`: each metric counts matching records, or sums / observes an OTTL value.
 */

/** Enough for a few hundred scenarios × statuses; past it new series are refused and counted. */
export const DEFAULT_MAX_SERIES = 10_000;
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const metricSchema = z
  .strictObject({
    name: z.string().regex(METRIC_NAME, 'expected a Prometheus metric name like "orders_total"'),
    description: z.string().default(''),
    type: z.enum(['counter', 'sum', 'histogram']),
    value: z.string().min(1).optional(),
    buckets: z.array(z.number().finite()).min(1).optional(),
    labels: z.record(z.string().regex(LABEL_NAME, 'expected a Prometheus label name'), z.string().min(1)).default({}),
    where: z.string().min(1).optional(),
  })
  .superRefine((m, ctx) => {
    if (m.type === 'counter' && m.value !== undefined) ctx.addIssue({ code: 'custom', path: ['value'], message: 'a counter counts records; use type sum to add up a value' });
    if (m.type !== 'counter' && m.value === undefined) ctx.addIssue({ code: 'custom', path: ['value'], message: `type ${m.type} needs value (an OTTL path)` });
    if (m.type !== 'histogram' && m.buckets !== undefined) ctx.addIssue({ code: 'custom', path: ['buckets'], message: 'buckets apply to histograms only' });
    if (m.buckets && m.buckets.some((b, i) => i > 0 && b <= m.buckets![i - 1])) ctx.addIssue({ code: 'custom', path: ['buckets'], message: 'expected increasing bucket bounds' });
    if ('le' in m.labels && m.type === 'histogram') ctx.addIssue({ code: 'custom', path: ['labels', 'le'], message: 'le is reserved for histogram buckets' });
    // Compile here too so that `validate` reports a bad OTTL path without starting anything.
    const tryCompile = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        if (!(err instanceof OttlConfigError)) throw err;
        for (const e of err.all) ctx.addIssue({ code: 'custom', path: e.path, message: e.parseError.message });
      }
    };
    if (m.where) tryCompile(() => compileWhere(m.where!, ['where']));
    if (m.value) tryCompile(() => compileValue(m.value!, ['value']));
    for (const [k, src] of Object.entries(m.labels ?? {})) tryCompile(() => compileValue(src, ['labels', k]));
  });

export type MetricSpec = z.input<typeof metricSchema>;
export type MetricConfig = z.output<typeof metricSchema>;

export const logMetricsConfigSchema = z
  .strictObject({
    preset: z.enum(['make']).optional(),
    metrics: z.array(metricSchema).default([]),
    max_series: z.number().int().positive().default(DEFAULT_MAX_SERIES),
  })
  .transform((c, ctx) => {
    const preset = c.preset === 'make' ? MAKE_PRESET.map((m) => metricSchema.parse(m)) : [];
    const metrics = [...preset, ...c.metrics];
    if (metrics.length === 0) ctx.addIssue({ code: 'custom', path: ['metrics'], message: 'define at least one metric, or set preset: make' });
    const names = new Set<string>();
    metrics.forEach((m, i) => {
      if (names.has(m.name)) ctx.addIssue({ code: 'custom', path: ['metrics', i - preset.length, 'name'], message: `metric ${m.name} is defined twice` });
      names.add(m.name);
    });
    return { metrics, maxSeries: c.max_series };
  });

export type LogMetricsConfig = z.output<typeof logMetricsConfigSchema>;
