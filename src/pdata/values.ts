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

/** A readable string form of an AnyValue (for vendor fields that take strings). */
export function anyValueToString(v: AnyValue | undefined): string {
  if (!v) return '';
  if (v.stringValue !== undefined) return v.stringValue;
  const plain = fromAnyValue(v);
  if (plain instanceof Uint8Array) return Buffer.from(plain).toString('base64');
  return JSON.stringify(plain, (_k, x) => (typeof x === 'bigint' ? x.toString() : x instanceof Uint8Array ? Buffer.from(x).toString('base64') : x));
}
