import type { Counter, Gauge } from 'prom-client';

/**
 * Reads the gateway's own counters for the admin API: the same numbers `/metrics` shows, so the
 * status page and Prometheus never disagree.
 */

type Metric = Counter<string> | Gauge<string>;

/** The sum of a metric's values whose labels include every pair of `match`. */
export async function metricSum(metric: Metric, match: Record<string, string>): Promise<number> {
  const { values } = await metric.get();
  let sum = 0;
  for (const v of values) {
    if (Object.entries(match).every(([k, want]) => v.labels[k] === want)) sum += v.value;
  }
  return sum;
}
