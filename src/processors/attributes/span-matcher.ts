import type { KeyValue } from '../../pdata/model.js';
import type { SpanFacts } from '../../pdata/signal-attributes.js';
import { anyValueToString } from '../../pdata/values.js';
import { SPAN_KIND_NAMES, type MatchProperties } from './match-config.js';
import { attributeTest, textTest } from './matcher.js';

/** Decides whether one span (its attributes, name, kind, resource and scope) matches an include/exclude block. */
export type SpanMatcher = (attrs: readonly KeyValue[], span: SpanFacts) => boolean;

/**
 * The Collector's span matching (contrib internal/filter/filterspan): every configured property
 * must match (AND); within `services`, `span_names`, `span_kinds` and `libraries` any entry may
 * (OR); every listed attribute / resource attribute must be present (and equal, or match the
 * pattern, when a value is given). `services` is the resource's `service.name`; `span_kinds` are
 * written `SPAN_KIND_SERVER`, `SPAN_KIND_CLIENT`, ...
 */
export function buildSpanMatcher(m: MatchProperties): SpanMatcher {
  const text = textTest(m.match_type);
  const attrTests = (list: MatchProperties['attributes']) => (list ?? []).map((kv) => attributeTest(kv.key, kv.value, m.match_type, text));
  const spanAttrs = attrTests(m.attributes);
  const resourceAttrs = attrTests(m.resources);
  const services = m.services?.map(text);
  const names = m.span_names?.map(text);
  const kinds = m.span_kinds?.map(text);
  const libraries = m.libraries?.map((l) => ({ name: text(l.name), version: l.version === undefined ? undefined : text(l.version) }));

  return (attrs, span) => {
    if (spanAttrs.some((t) => !t(attrs as KeyValue[]))) return false;
    if (resourceAttrs.some((t) => !t(span.resource as KeyValue[]))) return false;
    if (services) {
      const service = span.resource.find((kv) => kv.key === 'service.name');
      // A span without service.name never matches a services list (the Collector skips it too).
      if (!service || !services.some((t) => t(anyValueToString(service.value)))) return false;
    }
    if (names && !names.some((t) => t(span.name))) return false;
    if (kinds && !kinds.some((t) => t(SPAN_KIND_NAMES[span.kind] ?? `SPAN_KIND_${span.kind}`))) return false;
    if (libraries && !libraries.some((l) => l.name(span.scope.name) && (!l.version || l.version(span.scope.version)))) return false;
    return true;
  };
}
