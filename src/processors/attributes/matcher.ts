import type { AnyValue, InstrumentationScope, KeyValue, LogRecord, Resource } from '../../pdata/model.js';
import { anyValueToString, toAnyValue } from '../../pdata/values.js';
import { compilePattern } from '../helper/actions-config.js';
import { parseSeverity, type MatchProperties } from './match-config.js';

/** Decides whether one log record (with its resource and scope) matches an include/exclude block. */
export type RecordMatcher = (record: LogRecord, resource: Resource | undefined, scope: InstrumentationScope | undefined) => boolean;

export type TextTest = (text: string) => boolean;

/** A strict (equal) or regexp (search anywhere, as Go's MatchString) test of one pattern. */
export function textTest(matchType: 'strict' | 'regexp'): (pattern: string) => TextTest {
  return (p) => {
    if (matchType === 'strict') return (t) => t === p;
    const re = compilePattern(p);
    return (t) => re.test(t);
  };
}

/**
 * Every configured property must match (AND); within a list of bodies, severity texts or
 * libraries any entry may match (OR); every listed attribute / resource attribute must be present
 * (and equal, or match the pattern, when a value is given). Regexp patterns search anywhere in
 * the text, as Go's MatchString does.
 */
export function buildMatcher(m: MatchProperties): RecordMatcher {
  const text = textTest(m.match_type);
  const attrTests = (list: MatchProperties['attributes']) => (list ?? []).map((kv) => attributeTest(kv.key, kv.value, m.match_type, text));
  const recordAttrs = attrTests(m.attributes);
  const resourceAttrs = attrTests(m.resources);
  const bodies = m.log_bodies?.map(text);
  const severityTexts = m.log_severity_texts?.map(text);
  const libraries = m.libraries?.map((l) => ({ name: text(l.name), version: l.version === undefined ? undefined : text(l.version) }));
  const minSeverity = m.log_severity_number ? parseSeverity(m.log_severity_number.min)! : undefined;
  const matchUndefined = m.log_severity_number?.match_undefined ?? false;

  return (record, resource, scope) => {
    if (recordAttrs.some((t) => !t(record.attributes))) return false;
    if (resourceAttrs.some((t) => !t(resource?.attributes ?? []))) return false;
    if (bodies && !bodies.some((t) => t(anyValueToString(record.body)))) return false;
    if (severityTexts && !severityTexts.some((t) => t(record.severityText))) return false;
    if (libraries && !libraries.some((l) => l.name(scope?.name ?? '') && (!l.version || l.version(scope?.version ?? '')))) return false;
    if (minSeverity !== undefined) {
      if (record.severityNumber === 0) return matchUndefined;
      if (record.severityNumber < minSeverity) return false;
    }
    return true;
  };
}

export function attributeTest(key: string, value: unknown, matchType: 'strict' | 'regexp', text: (p: string) => TextTest) {
  if (value === undefined || value === null) return (attrs: KeyValue[]) => attrs.some((kv) => kv.key === key);
  if (matchType === 'regexp') {
    const t = text(value as string);
    return (attrs: KeyValue[]) => attrs.some((kv) => kv.key === key && t(anyValueToString(kv.value)));
  }
  const expected = toAnyValue(value);
  return (attrs: KeyValue[]) => attrs.some((kv) => kv.key === key && sameValue(kv.value, expected));
}

/** Strict equality of type and value (an int 5 does not equal the string "5"). */
function sameValue(a: AnyValue | undefined, b: AnyValue): boolean {
  if (!a) return false;
  const kind = (v: AnyValue) => Object.keys(v).find((k) => (v as Record<string, unknown>)[k] !== undefined);
  if (kind(a) !== kind(b)) return false;
  if (a.doubleValue !== undefined || b.doubleValue !== undefined) return a.doubleValue === b.doubleValue;
  return anyValueToString(a) === anyValueToString(b);
}
