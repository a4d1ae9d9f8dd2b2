import type { AnyValue, KeyValue } from './model.js';

/** Helpers to build and read AnyValue / attribute lists without repeating the union by hand. */

export function toAnyValue(v: unknown): AnyValue {
  if (v === null || v === undefined) return {};
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'bigint') return { intValue: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { intValue: BigInt(v) } : { doubleValue: v };
  if (v instanceof Uint8Array) return { bytesValue: v };
  if (Array.isArray(v)) return { arrayValue: { values: v.map(toAnyValue) } };
  if (typeof v === 'object') {
    return { kvlistValue: { values: Object.entries(v as Record<string, unknown>).map(([key, val]) => ({ key, value: toAnyValue(val) })) } };
  }
  return { stringValue: String(v) };
}

/**
 * True when the plain JS value `v` holds arrays/objects nested more than `limit` deep (a scalar is
 * 0 deep, `[x]` one more than `x`). Parsers of untrusted JSON use it to refuse what OTLP's AnyValue
 * depth limit would make unencodable later, when it would take its whole batch to the dead-letter
 * store. It stops descending past the limit, so a hostile depth cannot exhaust the stack.
 */
export function nestsDeeperThan(v: unknown, limit: number): boolean {
  if (typeof v !== 'object' || v === null || v instanceof Uint8Array) return false;
  if (limit <= 0) return true;
  for (const child of Array.isArray(v) ? v : Object.values(v)) if (nestsDeeperThan(child, limit - 1)) return true;
  return false;
}

/** AnyValue → plain JS (int64 → bigint, bytes → Uint8Array, kvlist → object). */
export function fromAnyValue(v: AnyValue | undefined): unknown {
  if (!v) return null;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return v.intValue;
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.bytesValue !== undefined) return v.bytesValue;
  if (v.arrayValue !== undefined) return v.arrayValue.values.map(fromAnyValue);
  if (v.kvlistValue !== undefined) {
    const o: Record<string, unknown> = {};
    for (const kv of v.kvlistValue.values) o[kv.key] = fromAnyValue(kv.value);
    return o;
  }
  return null;
}

export function attr(key: string, v: unknown): KeyValue {
  return { key, value: toAnyValue(v) };
}

export function getAttr(attrs: KeyValue[], key: string): AnyValue | undefined {
  for (const kv of attrs) if (kv.key === key) return kv.value;
  return undefined;
}

/**
 * AnyValue → a plain JSON value, safe for JSON.stringify and for backends that read JSON numbers
 * as doubles: int64 beyond 2^53 as a decimal string, bytes as base64, NaN/±Infinity as text.
 */
export function anyValueToPlainJson(v: AnyValue | undefined): unknown {
  if (!v) return null;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) {
    const n = Number(v.intValue);
    return Number.isSafeInteger(n) ? n : v.intValue.toString();
  }
  if (v.doubleValue !== undefined) return Number.isFinite(v.doubleValue) ? v.doubleValue : String(v.doubleValue);
  if (v.bytesValue !== undefined) return Buffer.from(v.bytesValue).toString('base64');
  if (v.arrayValue !== undefined) return v.arrayValue.values.map(anyValueToPlainJson);
  if (v.kvlistValue !== undefined) return keyValuesToPlainJson(v.kvlistValue.values);
  return null;
}

/** An attribute list → a plain JSON object (later keys win), values as anyValueToPlainJson. */
export function keyValuesToPlainJson(values: KeyValue[]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const kv of values) o[kv.key] = anyValueToPlainJson(kv.value);
  return o;
}

/**
 * A value as text (vendor string fields, labels, matching, the debug exporter): strings as they
 * are, numbers and booleans as written (ints exactly, however large), bytes as base64, maps and
 * lists as JSON.
 */
export function anyValueToString(v: AnyValue | undefined): string {
  if (!v) return '';
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return v.intValue.toString();
  const plain = anyValueToPlainJson(v);
  return typeof plain === 'string' ? plain : JSON.stringify(plain);
}
