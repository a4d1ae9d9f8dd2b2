import { PermanentError } from '../errors.js';
import type { AnyValue, KeyValue } from './model.js';

/**
 * OTLP/JSON scalar and AnyValue rules shared by the logs and response codecs (json.ts): the
 * protobuf JSON mapping with the OTLP exceptions (ids as hex, not base64). Decoding is lenient where
 * protobuf JSON parsers are (numbers or strings for 64-bit ints, enum names or numbers, snake_case
 * or lowerCamelCase keys, null as "unset") and strict about types: a wrong type is PAYLOAD_INVALID,
 * naming the path so a sender can find its bug.
 */

/** Nesting beyond this is refused, as in the protobuf decoder (bounded recursion). */
export const MAX_JSON_ANY_VALUE_DEPTH = 64;

export type Json = Record<string, unknown>;

export function bad(path: string, expected: string, got: unknown): never {
  const shown = typeof got === 'string' ? JSON.stringify(got.slice(0, 40)) : Array.isArray(got) ? 'an array' : got === null ? 'null' : typeof got;
  throw new PermanentError(`invalid OTLP/JSON: ${path}: expected ${expected}, got ${shown}`, 'PAYLOAD_INVALID');
}

/** The field under its lowerCamelCase name or its original proto name; null counts as absent. */
export function field(obj: Json, camel: string, snake: string): unknown {
  const v = obj[camel] !== undefined ? obj[camel] : obj[snake];
  return v === null ? undefined : v;
}

export function asObject(v: unknown, path: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(path, 'an object', v);
  return v as Json;
}

export function asArray(v: unknown, path: string): unknown[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) bad(path, 'an array', v);
  return v;
}

export function asString(v: unknown, path: string): string {
  if (v === undefined) return '';
  if (typeof v !== 'string') bad(path, 'a string', v);
  return v;
}

const INTEGER_TEXT = /^-?\d+$/;

/** int64/uint64/fixed64: a decimal string (canonical) or a JSON number (accepted, exact only below 2^53). */
export function asInt64(v: unknown, path: string, min: bigint, max: bigint): bigint {
  if (v === undefined) return 0n;
  let n: bigint | undefined;
  if (typeof v === 'string' && INTEGER_TEXT.test(v)) n = BigInt(v);
  else if (typeof v === 'number' && Number.isInteger(v)) n = BigInt(v);
  if (n === undefined || n < min || n > max) bad(path, 'an integer (decimal string or number) in range', v);
  return n;
}

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;
export const UINT64_MAX = 2n ** 64n - 1n;

export function asUint32(v: unknown, path: string): number {
  return Number(asInt64(v, path, 0n, 0xffffffffn));
}

export function asInt32(v: unknown, path: string): number {
  return Number(asInt64(v, path, -(2n ** 31n), 2n ** 31n - 1n));
}

/** trace_id / span_id: OTLP/JSON sends lowercase hex (not base64); uppercase is tolerated. */
export function hexToBytes(v: unknown, path: string): Uint8Array {
  const s = asString(v, path);
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) bad(path, 'a hex string', v);
  return Uint8Array.from(Buffer.from(s, 'hex'));
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function base64ToBytes(v: unknown, path: string): Uint8Array {
  const s = asString(v, path);
  if (!BASE64.test(s)) bad(path, 'a base64 string', v);
  return Uint8Array.from(Buffer.from(s, s.includes('-') || s.includes('_') ? 'base64url' : 'base64'));
}

function asDouble(v: unknown, path: string): number {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return Number.NaN;
  if (v === 'Infinity') return Number.POSITIVE_INFINITY;
  if (v === '-Infinity') return Number.NEGATIVE_INFINITY;
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  return bad(path, 'a number', v);
}

// ---- AnyValue ----

export function anyValueFromJson(v: unknown, path: string, depth = 0): AnyValue {
  if (depth > MAX_JSON_ANY_VALUE_DEPTH) bad(path, `nesting below ${MAX_JSON_ANY_VALUE_DEPTH} levels`, 'deeper');
  const o = asObject(v, path);
  let out: AnyValue = {};
  // Protobuf JSON allows one oneof member; if a sender writes several, the last one read wins, as on the wire.
  for (const key of Object.keys(o)) {
    const x = o[key];
    if (x === null || x === undefined) continue;
    switch (key) {
      case 'stringValue':
      case 'string_value':
        out = { stringValue: asString(x, `${path}.stringValue`) };
        break;
      case 'boolValue':
      case 'bool_value':
        if (typeof x !== 'boolean') bad(`${path}.boolValue`, 'a boolean', x);
        out = { boolValue: x };
        break;
      case 'intValue':
      case 'int_value':
        out = { intValue: asInt64(x, `${path}.intValue`, INT64_MIN, INT64_MAX) };
        break;
      case 'doubleValue':
      case 'double_value':
        out = { doubleValue: asDouble(x, `${path}.doubleValue`) };
        break;
      case 'arrayValue':
      case 'array_value': {
        const list = asArray(field(asObject(x, `${path}.arrayValue`), 'values', 'values'), `${path}.arrayValue.values`);
        out = { arrayValue: { values: list.map((e, i) => anyValueFromJson(e, `${path}.arrayValue.values[${i}]`, depth + 1)) } };
        break;
      }
      case 'kvlistValue':
      case 'kvlist_value': {
        const list = asArray(field(asObject(x, `${path}.kvlistValue`), 'values', 'values'), `${path}.kvlistValue.values`);
        out = { kvlistValue: { values: list.map((e, i) => keyValueFromJson(e, `${path}.kvlistValue.values[${i}]`, depth + 1)) } };
        break;
      }
      case 'bytesValue':
      case 'bytes_value':
        out = { bytesValue: base64ToBytes(x, `${path}.bytesValue`) };
        break;
      default: // unknown keys are ignored (forward compatibility)
    }
  }
  return out;
}

export function keyValueFromJson(v: unknown, path: string, depth = 0): KeyValue {
  const o = asObject(v, path);
  const kv: KeyValue = { key: asString(field(o, 'key', 'key'), `${path}.key`) };
  const value = field(o, 'value', 'value');
  if (value !== undefined) kv.value = anyValueFromJson(value, `${path}.value`, depth);
  return kv;
}

export function attributesFromJson(v: unknown, path: string): KeyValue[] {
  return asArray(v, path).map((e, i) => keyValueFromJson(e, `${path}[${i}]`));
}

function doubleToJson(d: number): number | string {
  if (Number.isFinite(d)) return d;
  return Number.isNaN(d) ? 'NaN' : d > 0 ? 'Infinity' : '-Infinity';
}

/** AnyValue → OTLP/JSON: a set oneof member is always written, even when it holds its default. */
export function anyValueToJson(v: AnyValue): Json {
  if (v.stringValue !== undefined) return { stringValue: v.stringValue };
  if (v.boolValue !== undefined) return { boolValue: v.boolValue };
  if (v.intValue !== undefined) return { intValue: v.intValue.toString() };
  if (v.doubleValue !== undefined) return { doubleValue: doubleToJson(v.doubleValue) };
  if (v.arrayValue !== undefined) return { arrayValue: { values: v.arrayValue.values.map(anyValueToJson) } };
  if (v.kvlistValue !== undefined) return { kvlistValue: { values: v.kvlistValue.values.map(keyValueToJson) } };
  if (v.bytesValue !== undefined) return { bytesValue: Buffer.from(v.bytesValue.buffer, v.bytesValue.byteOffset, v.bytesValue.byteLength).toString('base64') };
  return {};
}

export function keyValueToJson(kv: KeyValue): Json {
  return kv.value ? { key: kv.key, value: anyValueToJson(kv.value) } : { key: kv.key };
}
