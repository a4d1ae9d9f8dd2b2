import type { AnyValue, KeyValue } from '../pdata/model.js';
import { OttlRuntimeError } from './errors.js';
import { formatDuration } from '../duration.js';
import type { Zone } from './time-zone.js';

/**
 * Values as OTTL expressions see them. Scalars are plain JS values (int64 → bigint, double →
 * number, bytes → Uint8Array, nil → null). Maps and lists read from telemetry are live views
 * (`OttlMap`, `OttlList`) so editors like delete_key change the record in place; list literals
 * and converter results that build lists are plain arrays.
 */
export type Value = null | string | boolean | bigint | number | Uint8Array | OttlMap | OttlList | OttlTime | OttlDuration | Value[];

export class OttlMap {
  constructor(readonly kvs: KeyValue[]) {}
}

export class OttlList {
  constructor(readonly items: AnyValue[]) {}
}

/** A point in time (Go's time.Time in the Collector), from `time`, `observed_time`, `Now()`, `Unix()`. */
export class OttlTime {
  constructor(
    readonly unixNano: bigint,
    /** Where it was read (`Time`): `FormatTime` writes the wall clock there. UTC when absent. */
    readonly zone?: Zone,
  ) {}

  /** RFC 3339 in UTC with the nanoseconds that are not zero, as text conversions show it. */
  toString(): string {
    const ms = this.unixNano / 1_000_000n;
    const nanos = ((this.unixNano % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n;
    const base = new Date(Number(ms)).toISOString().slice(0, 19);
    const fraction = nanos === 0n ? '' : `.${nanos.toString().padStart(9, '0').replace(/0+$/, '')}`;
    return `${base}${fraction}Z`;
  }
}

/** A span of time (Go's time.Duration): from `Duration()`, `time - time`, and used by `TruncateTime`. */
export class OttlDuration {
  constructor(readonly nanos: bigint) {}

  /** Go's notation ("1h2m3.5s"), as text conversions show it. */
  toString(): string {
    return formatDuration(this.nanos);
  }
}

export function fromAny(v: AnyValue | undefined): Value {
  if (v === undefined) return null;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return v.intValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.kvlistValue !== undefined) return new OttlMap(v.kvlistValue.values);
  if (v.arrayValue !== undefined) return new OttlList(v.arrayValue.values);
  if (v.bytesValue !== undefined) return v.bytesValue;
  return null;
}

/** A value to store in telemetry. Maps and lists are copied so two places never share one. */
export function toAny(v: Value): AnyValue {
  if (v === null) return {};
  if (v instanceof OttlTime) throw new OttlRuntimeError('a time cannot be stored as a value; convert it with UnixNano() (or UnixSeconds/UnixMilli/UnixMicro) first');
  if (v instanceof OttlDuration) throw new OttlRuntimeError('a duration cannot be stored as a value; convert it with Nanoseconds() (or Milliseconds, Seconds, …) first');
  switch (typeof v) {
    case 'string':
      return { stringValue: v };
    case 'bigint':
      return { intValue: v };
    case 'number':
      return { doubleValue: v };
    case 'boolean':
      return { boolValue: v };
  }
  if (v instanceof Uint8Array) return { bytesValue: v.slice() };
  if (v instanceof OttlMap) return { kvlistValue: { values: copyKvs(v.kvs) } };
  if (v instanceof OttlList) return { arrayValue: { values: v.items.map(copyAny) } };
  return { arrayValue: { values: v.map(toAny) } };
}

export function copyKvs(kvs: KeyValue[]): KeyValue[] {
  return kvs.map((kv) => ({ key: kv.key, value: kv.value === undefined ? undefined : copyAny(kv.value) }));
}

export function copyAny(v: AnyValue): AnyValue {
  if (v.kvlistValue !== undefined) return { kvlistValue: { values: copyKvs(v.kvlistValue.values) } };
  if (v.arrayValue !== undefined) return { arrayValue: { values: v.arrayValue.values.map(copyAny) } };
  if (v.bytesValue !== undefined) return { bytesValue: v.bytesValue.slice() };
  return { ...v };
}

export function typeName(v: Value): string {
  if (v === null) return 'nil';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'bigint':
      return 'int64';
    case 'number':
      return 'float64';
    case 'boolean':
      return 'bool';
  }
  if (v instanceof Uint8Array) return 'bytes';
  if (v instanceof OttlMap) return 'map';
  if (v instanceof OttlTime) return 'time.Time';
  if (v instanceof OttlDuration) return 'time.Duration';
  return 'slice';
}

export function isList(v: Value): v is OttlList | Value[] {
  return v instanceof OttlList || Array.isArray(v);
}

export function listItems(v: OttlList | Value[]): Value[] {
  return Array.isArray(v) ? v : v.items.map(fromAny);
}

/** Plain JSON-able form, used for string conversion of maps and lists. */
function toPlain(v: Value): unknown {
  if (v === null || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number') return v;
  if (typeof v === 'bigint') return v;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (v instanceof OttlTime || v instanceof OttlDuration) return v.toString();
  if (v instanceof OttlMap) {
    const o: Record<string, unknown> = {};
    for (const kv of v.kvs) o[kv.key] = toPlain(fromAny(kv.value));
    return o;
  }
  return listItems(v).map(toPlain);
}

/** JSON text; int64 values are written as JSON numbers without losing digits. */
export function toJson(v: Value): string {
  const marker = '\u0000int:';
  const text = JSON.stringify(toPlain(v), (_k, x) => (typeof x === 'bigint' ? marker + x.toString() : x));
  return text.replace(/"\\u0000int:(-?\d+)"/g, '$1');
}

/** Go's strconv.FormatFloat(v, 'f', -1, 64) for ordinary magnitudes; JS notation otherwise. */
export function formatFloat(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e21) return v.toFixed(0);
  return String(v);
}

/**
 * The "string-like" conversion OTTL applies to converter arguments such as IsMatch's target:
 * bytes become hex, maps and lists JSON, numbers and booleans their text. nil stays nil.
 */
export function asStringLike(v: Value): string | null {
  if (v === null) return null;
  switch (typeof v) {
    case 'string':
      return v;
    case 'bigint':
    case 'boolean':
      return String(v);
    case 'number':
      return formatFloat(v);
  }
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  if (v instanceof OttlTime || v instanceof OttlDuration) return v.toString();
  return toJson(v);
}

export function valuesEqual(a: Value, b: Value): boolean {
  return compare(a, b, '==');
}

function numericCompare(a: number | bigint, b: number | bigint): number {
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  const x = Number(a);
  const y = Number(b);
  return x < y ? -1 : x > y ? 1 : x === y ? 0 : NaN;
}

function ordered(c: number, op: string): boolean {
  switch (op) {
    case '==':
      return c === 0;
    case '!=':
      return c !== 0;
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
  }
  return false;
}

function bytesCompare(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return a.length - b.length;
}

function deepEqual(a: Value, b: Value): boolean {
  if (a instanceof OttlMap && b instanceof OttlMap) {
    if (a.kvs.length !== b.kvs.length) return false;
    for (const kv of a.kvs) {
      const other = b.kvs.find((x) => x.key === kv.key);
      if (!other || !deepEqual(fromAny(kv.value), fromAny(other.value))) return false;
    }
    return true;
  }
  if (isList(a) && isList(b)) {
    const x = listItems(a);
    const y = listItems(b);
    return x.length === y.length && x.every((v, i) => deepEqual(v, y[i]));
  }
  return compare(a, b, '==');
}

/**
 * OTTL comparison rules (LANGUAGE.md "Comparison Rules"): nil equals only nil; values of different
 * types are not equal (and not ordered), except int64 and float64, which compare numerically;
 * strings compare lexically, booleans with false < true, bytes bytewise; maps and lists support
 * only == and !=.
 */
export function compare(a: Value, b: Value, op: string): boolean {
  if (a === null || b === null) {
    if (op === '==') return a === b;
    if (op === '!=') return a !== b;
    return false;
  }
  const ta = typeof a;
  const tb = typeof b;
  if ((ta === 'bigint' || ta === 'number') && (tb === 'bigint' || tb === 'number')) {
    return ordered(numericCompare(a as number | bigint, b as number | bigint), op);
  }
  if (ta === 'string' && tb === 'string') return ordered(a < b ? -1 : a > b ? 1 : 0, op);
  if (ta === 'boolean' && tb === 'boolean') return ordered(Number(a) - Number(b), op);
  if (a instanceof Uint8Array && b instanceof Uint8Array) return ordered(bytesCompare(a, b), op);
  if (a instanceof OttlTime && b instanceof OttlTime) return ordered(a.unixNano < b.unixNano ? -1 : a.unixNano > b.unixNano ? 1 : 0, op);
  if (a instanceof OttlDuration && b instanceof OttlDuration) return ordered(a.nanos < b.nanos ? -1 : a.nanos > b.nanos ? 1 : 0, op);
  const structured = (a instanceof OttlMap && b instanceof OttlMap) || (isList(a) && isList(b));
  if (structured) {
    if (op === '==') return deepEqual(a, b);
    if (op === '!=') return !deepEqual(a, b);
    return false;
  }
  return op === '!=';
}
