import { randomBytes, randomUUID } from 'node:crypto';
import { OttlRuntimeError } from '../errors.js';
import type { Value } from '../value.js';
import { CASES, describe, literal, stringFn, stringWithLiteral, valueFn } from './converter-kit.js';
import type { Converter, FunctionDef } from './types.js';

/**
 * OTTL's Hex, Decode, Base64Decode, ParseInt, Log, IsValidLuhn, UUID, UUIDv7, SpanID, TraceID,
 * TrimPrefix, TrimSuffix, ToCamelCase and ToSnakeCase (pkg/ottl/ottlfuncs), with Go's results.
 */

/** Go's binary.BigEndian encodings the Collector's Hex writes for each type. */
function hexOf(v: Value): string {
  if (typeof v === 'string') return Buffer.from(v, 'utf8').toString('hex');
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  const b = Buffer.alloc(8);
  if (typeof v === 'bigint') {
    b.writeBigInt64BE(v);
    return b.toString('hex');
  }
  if (typeof v === 'number') {
    b.writeDoubleBE(v);
    return b.toString('hex');
  }
  if (typeof v === 'boolean') return v ? '01' : '00';
  throw new OttlRuntimeError(`Hex: unsupported type ${describe(v)}`);
}

const BASE64: Record<string, BufferEncoding> = { base64: 'base64', 'base64-raw': 'base64', 'base64-url': 'base64url', 'base64-raw-url': 'base64url' };
const BASE64_CHARS: Record<string, RegExp> = {
  base64: /^[A-Za-z0-9+/]*={0,2}$/,
  'base64-raw': /^[A-Za-z0-9+/]*$/,
  'base64-url': /^[A-Za-z0-9_-]*={0,2}$/,
  'base64-raw-url': /^[A-Za-z0-9_-]*$/,
};

function decode(s: string, encoding: string): string {
  const e = encoding.toLowerCase();
  const b64 = BASE64[e];
  if (b64) {
    // Go's decoders refuse what Node's would silently skip: characters outside the alphabet, and
    // padding where the raw variants have none.
    if (!BASE64_CHARS[e]!.test(s) || (!e.includes('raw') && s.length % 4 !== 0)) throw new OttlRuntimeError(`Decode: the value is not valid ${e}`);
    return Buffer.from(s, b64).toString('utf8');
  }
  if (e === 'utf-8' || e === 'utf8' || e === 'us-ascii' || e === 'ascii') return s;
  throw new OttlRuntimeError(`Decode: unsupported encoding "${encoding}" (base64, base64-raw, base64-url, base64-raw-url, utf-8, us-ascii)`);
}

function luhn(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** RFC 9562 version 7: 48 bits of Unix milliseconds, then random bits with version and variant. */
function uuidV7(): string {
  const b = randomBytes(16);
  const ms = BigInt(Date.now());
  for (let i = 0; i < 6; i++) b[i] = Number((ms >> BigInt(8 * (5 - i))) & 0xffn);
  b[6] = (b[6]! & 0x0f) | 0x70;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function id(name: 'SpanID' | 'TraceID', size: number): FunctionDef<Converter> {
  return valueFn((v) => {
    if (!(v instanceof Uint8Array) || v.length !== size) throw new OttlRuntimeError(`${name} expects ${size} bytes, got ${v instanceof Uint8Array ? `${v.length} bytes` : describe(v)}`);
    return v;
  });
}

export const ENCODING_CONVERTERS: Record<string, FunctionDef<Converter>> = {
  Hex: valueFn((v) => (v === null ? null : hexOf(v))),
  Decode: stringWithLiteral('Decode', literal('encoding'), (e) => e as string, decode),
  Base64Decode: stringFn((s) => decode(s, 'base64')),
  ParseInt: stringWithLiteral(
    'ParseInt',
    { name: 'base', kind: 'int' },
    (raw) => {
      const b = Number(raw as bigint);
      if (b !== 0 && (b < 2 || b > 36)) throw new Error(`invalid base ${b}: expected 0 or 2 to 36`);
      return b;
    },
    parseGoInt,
  ),
  Log: valueFn((v) => {
    if (typeof v !== 'bigint' && typeof v !== 'number') throw new OttlRuntimeError(`Log expects a number, got ${describe(v)}`);
    if (Number(v) <= 0) throw new OttlRuntimeError(`Log: the value must be greater than 0, got ${String(v)}`);
    return Math.log(Number(v));
  }),
  IsValidLuhn: valueFn((v) => {
    if (typeof v === 'bigint') return v >= 0n && luhn(v.toString());
    if (typeof v === 'string') return luhn(v);
    throw new OttlRuntimeError(`IsValidLuhn expects a string or an int, got ${describe(v)}`);
  }),
  UUID: { params: [], build: () => () => randomUUID() },
  UUIDv7: { params: [], build: () => () => uuidV7() },
  SpanID: id('SpanID', 8),
  TraceID: id('TraceID', 16),
  TrimPrefix: stringWithLiteral('TrimPrefix', literal('prefix'), (p) => p as string, (v, p) => (p !== '' && v.startsWith(p) ? v.slice(p.length) : v)),
  TrimSuffix: stringWithLiteral('TrimSuffix', literal('suffix'), (x) => x as string, (v, x) => (x !== '' && v.endsWith(x) ? v.slice(0, v.length - x.length) : v)),
  ToCamelCase: stringFn(CASES.camel!),
  ToSnakeCase: stringFn(CASES.snake!),
};

/** Go's strconv.ParseInt(s, base, 64): base 0 reads a 0x/0o/0b/0 prefix; `_` only with base 0. */
function parseGoInt(s: string, base: number): bigint {
  let text = s;
  let sign = 1n;
  if (text.startsWith('+') || text.startsWith('-')) {
    if (text[0] === '-') sign = -1n;
    text = text.slice(1);
  }
  let b = base;
  if (b === 0) {
    const lower = text.toLowerCase();
    if (lower.startsWith('0x')) [b, text] = [16, text.slice(2)];
    else if (lower.startsWith('0o')) [b, text] = [8, text.slice(2)];
    else if (lower.startsWith('0b')) [b, text] = [2, text.slice(2)];
    else if (text.length > 1 && text.startsWith('0')) [b, text] = [8, text.slice(1)];
    else b = 10;
    text = text.replace(/_/g, '');
  }
  const digits = '0123456789abcdefghijklmnopqrstuvwxyz'.slice(0, b);
  if (text.length === 0 || ![...text.toLowerCase()].every((c) => digits.includes(c))) throw new OttlRuntimeError(`ParseInt: invalid syntax "${s}" for base ${base}`);
  let n = 0n;
  for (const c of text.toLowerCase()) n = n * BigInt(b) + BigInt(digits.indexOf(c));
  const out = sign * n;
  if (out > 9223372036854775807n || out < -9223372036854775808n) throw new OttlRuntimeError(`ParseInt: "${s}" is out of the int64 range`);
  return out;
}
