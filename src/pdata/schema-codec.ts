import { PermanentError } from '../errors.js';
import { ProtoReader, WIRE_I32, WIRE_I64, WIRE_LEN, WIRE_VARINT } from './proto-wire.js';
import type { FieldDef, FieldType, MessageDef } from './otlp-schema.js';

/**
 * OTLP/JSON ⇄ protobuf for any message of otlp-schema.ts, following the OTLP spec's "JSON Protobuf
 * Encoding": lowerCamelCase keys (the proto names in snake_case are accepted too, as protojson
 * does), trace and span ids as hex, other bytes as base64, 64-bit integers as decimal strings or
 * numbers, enums as integers, doubles as numbers or "NaN" / "Infinity" / "-Infinity". Unknown
 * JSON keys are ignored (forward compatibility), unknown protobuf fields skipped.
 *
 * Not on the hot path: protobuf traces and metrics are forwarded as received; this runs for JSON
 * clients, JSON exporters and the debug exporter.
 */

const MAX_DEPTH = 64;

function bad(message: string): never {
  throw new PermanentError(`invalid OTLP/JSON: ${message}`, 'PAYLOAD_INVALID');
}

/** A growable protobuf writer (the logs codec's ProtoWriter wants its size up front). */
class Writer {
  private buf = Buffer.allocUnsafe(256);
  pos = 0;
  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  varint(v: bigint): void {
    this.ensure(10);
    let u = BigInt.asUintN(64, v);
    while (u >= 0x80n) {
      this.buf[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.pos++] = Number(u);
  }
  tag(n: number, wire: number): void {
    this.varint(BigInt((n << 3) | wire));
  }
  fixed32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(v >>> 0, this.pos);
    this.pos += 4;
  }
  fixed64(v: bigint): void {
    this.ensure(8);
    this.buf.writeBigUInt64LE(BigInt.asUintN(64, v), this.pos);
    this.pos += 8;
  }
  double(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }
  bytes(b: Uint8Array): void {
    this.varint(BigInt(b.length));
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** OTLP/JSON (already parsed) → protobuf bytes of `def`. Throws PermanentError (PAYLOAD_INVALID). */
export function jsonToProto(def: MessageDef, value: unknown): Uint8Array {
  const w = new Writer();
  writeMessage(w, def, value, def.name, 0);
  return w.finish();
}

function writeMessage(w: Writer, def: MessageDef, value: unknown, path: string, depth: number): void {
  if (depth > MAX_DEPTH) bad(`${path}: nested too deeply`);
  if (value === null || value === undefined) return;
  if (typeof value !== 'object' || Array.isArray(value)) bad(`${path}: expected an object, got ${JSON.stringify(value)?.slice(0, 40)}`);
  const obj = value as Record<string, unknown>;
  for (const field of def.fields) {
    const v = field.name in obj ? obj[field.name] : obj[snake(field.name)];
    if (v === undefined || v === null) continue;
    const at = `${path}.${field.name}`;
    if (field.repeated) {
      if (!Array.isArray(v)) bad(`${at}: expected an array`);
      if (field.t === 'message' || field.t === 'string' || field.t === 'bytes' || field.t === 'hex') {
        v.forEach((item, i) => writeField(w, field, item, `${at}[${i}]`, depth, true));
      } else {
        // Repeated scalars are packed, as proto3 writes them.
        const inner = new Writer();
        v.forEach((item, i) => writeScalar(inner, field.t, item, `${at}[${i}]`));
        w.tag(field.n, WIRE_LEN);
        w.bytes(inner.finish());
      }
      continue;
    }
    writeField(w, field, v, at, depth, field.presence === true);
  }
}

function writeField(w: Writer, field: FieldDef, v: unknown, at: string, depth: number, always: boolean): void {
  if (field.t === 'message') {
    const inner = new Writer();
    writeMessage(inner, field.msg!(), v, at, depth + 1);
    w.tag(field.n, WIRE_LEN);
    w.bytes(inner.finish());
    return;
  }
  if (!always && isDefault(field.t, v)) return;
  w.tag(field.n, wireOf(field.t));
  if (field.t === 'string') {
    if (typeof v !== 'string') bad(`${at}: expected a string`);
    w.bytes(Buffer.from(v, 'utf8'));
  } else if (field.t === 'bytes' || field.t === 'hex') w.bytes(bytesOf(field.t, v, at));
  else writeScalar(w, field.t, v, at);
}

function isDefault(t: FieldType, v: unknown): boolean {
  if (t === 'string' || t === 'bytes' || t === 'hex') return v === '';
  if (t === 'bool') return v === false;
  // -0 is not the default: its sign is data (a histogram's min of -0), and Go's protobuf keeps it too.
  if (t === 'double') return v === 0 && !Object.is(v, -0);
  return v === 0 || v === '0';
}

function wireOf(t: FieldType): number {
  switch (t) {
    case 'fixed64':
    case 'sfixed64':
    case 'double':
      return WIRE_I64;
    case 'fixed32':
      return WIRE_I32;
    case 'string':
    case 'bytes':
    case 'hex':
    case 'message':
      return WIRE_LEN;
    default:
      return WIRE_VARINT;
  }
}

function bytesOf(t: 'bytes' | 'hex', v: unknown, at: string): Uint8Array {
  if (typeof v !== 'string') bad(`${at}: expected a ${t === 'hex' ? 'hex' : 'base64'} string`);
  if (t === 'hex') {
    if (!/^(?:[0-9a-fA-F]{2})*$/.test(v)) bad(`${at}: expected a hex string, got ${JSON.stringify(v.slice(0, 40))}`);
    return Buffer.from(v, 'hex');
  }
  return Buffer.from(v, 'base64');
}

function integer(v: unknown, at: string): bigint {
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return BigInt(v.trim());
  return bad(`${at}: expected an integer, got ${JSON.stringify(v)?.slice(0, 40)}`);
}

function float(v: unknown, at: string): number {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  return bad(`${at}: expected a number, got ${JSON.stringify(v)?.slice(0, 40)}`);
}

function writeScalar(w: Writer, t: FieldType, v: unknown, at: string): void {
  switch (t) {
    case 'bool':
      if (typeof v !== 'boolean') bad(`${at}: expected true or false`);
      return w.varint(v ? 1n : 0n);
    case 'double':
      return w.double(float(v, at));
    case 'fixed32':
      return w.fixed32(Number(integer(v, at)));
    case 'fixed64':
    case 'sfixed64':
      return w.fixed64(integer(v, at));
    case 'sint32': {
      const n = Number(integer(v, at));
      return w.varint(BigInt(((n << 1) ^ (n >> 31)) >>> 0));
    }
    case 'int32':
    case 'enum':
      if (typeof v === 'string' && !/^-?\d+$/.test(v)) bad(`${at}: expected an integer enum value, got ${JSON.stringify(v)}`);
      return w.varint(BigInt.asIntN(64, integer(v, at)));
    default:
      // uint32, int64, uint64
      return w.varint(integer(v, at));
  }
}

/** Protobuf bytes of `def` → its OTLP/JSON object. Throws PermanentError (PAYLOAD_INVALID) on malformed input. */
export function protoToJson(def: MessageDef, bytes: Uint8Array): Record<string, unknown> {
  const r = new ProtoReader(bytes);
  return readMessage(r, def, r.length, 0);
}

function readMessage(r: ProtoReader, def: MessageDef, end: number, depth: number): Record<string, unknown> {
  if (depth > MAX_DEPTH) throw new PermanentError('invalid protobuf: nested too deeply', 'PAYLOAD_INVALID');
  const out: Record<string, unknown> = {};
  const byNumber = fieldsByNumber(def);
  while (r.pos < end) {
    const tag = r.tag();
    const field = byNumber.get(tag >>> 3);
    if (!field) {
      r.skip(tag);
      continue;
    }
    const wire = tag & 7;
    if (field.repeated && wire === WIRE_LEN && wireOf(field.t) !== WIRE_LEN) {
      const packedEnd = r.lengthEnd();
      const list = (out[field.name] as unknown[] | undefined) ?? [];
      while (r.pos < packedEnd) list.push(readScalar(r, field.t));
      r.expectEnd(packedEnd);
      out[field.name] = list;
      continue;
    }
    if (wire !== wireOf(field.t)) {
      r.skip(tag);
      continue;
    }
    let value: unknown;
    if (field.t === 'message') {
      const inner = r.lengthEnd();
      value = readMessage(r, field.msg!(), inner, depth + 1);
      r.expectEnd(inner);
    } else if (field.t === 'string') value = r.string();
    else if (field.t === 'bytes') value = Buffer.from(r.bytes()).toString('base64');
    else if (field.t === 'hex') value = Buffer.from(r.bytes()).toString('hex');
    else value = readScalar(r, field.t);
    if (field.repeated) ((out[field.name] as unknown[] | undefined) ?? (out[field.name] = [] as unknown[]) as unknown[]).push(value);
    else out[field.name] = value;
  }
  r.expectEnd(end);
  return out;
}

const numberCache = new WeakMap<MessageDef, Map<number, FieldDef>>();
function fieldsByNumber(def: MessageDef): Map<number, FieldDef> {
  let map = numberCache.get(def);
  if (!map) numberCache.set(def, (map = new Map(def.fields.map((fd) => [fd.n, fd]))));
  return map;
}

function readScalar(r: ProtoReader, t: FieldType): unknown {
  switch (t) {
    case 'bool':
      return r.bool();
    case 'double':
      return jsonDouble(r.double());
    case 'fixed32':
      return r.fixed32();
    case 'fixed64':
      return r.fixed64().toString();
    case 'sfixed64':
      return BigInt.asIntN(64, r.fixed64()).toString();
    case 'sint32': {
      const u = r.uint32();
      return (u >>> 1) ^ -(u & 1);
    }
    case 'int32':
    case 'enum':
      return r.int32();
    case 'uint32':
      return r.uint32();
    case 'uint64':
      return BigInt.asUintN(64, r.int64()).toString();
    default:
      return r.int64().toString();
  }
}

function jsonDouble(v: number): number | string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  // JSON.stringify(-0) writes 0; the string form keeps the sign and every proto3 JSON parser reads it.
  if (Object.is(v, -0)) return '-0';
  return v;
}
