import type { KeyValue } from '../../pdata/model.js';
import type { PointFacts } from '../../pdata/signal-attributes.js';
import type { MatchProperties } from './match-config.js';
import { attributeTest, textTest } from './matcher.js';

/** Decides whether a data point's metric (its name and resource) matches an include/exclude block. */
export type MetricMatcher = (point: PointFacts) => boolean;

/**
 * The Collector's metric matching for the attributes processor (contrib internal/filter/filtermetric):
 * the metric's name must match one of `metric_names` (when given) and every listed resource
 * attribute must be present (and equal, or match the pattern, when a value is given).
 */
export function buildMetricMatcher(m: MatchProperties): MetricMatcher {
  const text = textTest(m.match_type);
  const names = m.metric_names?.map(text);
  const resourceAttrs = (m.resources ?? []).map((kv) => attributeTest(kv.key, kv.value, m.match_type, text));
  return (point) => {
    if (names && !names.some((t) => t(point.metric))) return false;
    return resourceAttrs.every((t) => t(point.resource as KeyValue[]));
  };
}
