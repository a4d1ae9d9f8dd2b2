import { decodeAnyValue } from '../../pdata/proto-decode.js';
import type { ProtoReader } from '../../pdata/proto-wire.js';
import { anyValueToPlainJson, anyValueToString } from '../../pdata/values.js';
import type { JsonBytes } from './json-bytes.js';

/**
 * JSON text of single values read from protobuf bytes, for wire-entries.ts: the same text
 * mapping.ts's objects give through JSON.stringify (anyValueToPlainJson, anyValueToString, the
 * timestamp and id fields), without building the objects. Numbers too large for a double's exact
 * range are computed from their uint32 halves instead of with BigInt.
 */

// Tags as (field << 3 | wire type), as in proto-decode.ts.
const LEN1 = 10, LEN5 = 42, LEN6 = 50, LEN7 = 58;
const VARINT2 = 16, VARINT3 = 24, I64_4 = 33;
const EMPTY_STRING = Buffer.from('""');

/** An attribute value as anyValueToPlainJson + JSON.stringify would write it, into `w`. */
export function writeValue(w: JsonBytes, r: ProtoReader, text: Buffer, member: number, valueAt: number): void {
  if (member === LEN1) {
    // Strings, the common case, copied as bytes (escaped on the way).
    r.pos = memberAt;
    const end = r.lengthEnd();
    w.utf8String(text, r.pos, end);
    r.pos = end;
  } else if (member === VARINT3 && smallVarint(text, memberAt)) w.digits(varintValue);
  else w.text(valueJson(r, text, member, valueAt));
}

/** The value smallVarint read. */
let varintValue = 0;

/**
 * A varint of at most 7 bytes (below 2^49: exact in a double, non-negative) at `at`, into
 * `varintValue`, without a BigInt; false for anything longer (large or negative int64), which the
 * exact path reads.
 */
function smallVarint(buf: Uint8Array, at: number): boolean {
  let value = 0;
  let mul = 1;
  for (let i = 0; i < 7 && at + i < buf.length; i++) {
    const b = buf[at + i]!;
    value += (b & 0x7f) * mul;
    if (b < 0x80) {
      varintValue = value;
      return true;
    }
    mul *= 128;
  }
  return false;
}

/** An attribute value as anyValueToPlainJson + JSON.stringify would write it. */
export function valueJson(r: ProtoReader, text: Buffer, member: number, valueAt: number): string {
  switch (member) {
    case 0:
      return 'null';
    case LEN1: {
      r.pos = memberAt;
      const end = r.lengthEnd();
      const value = text.toString('utf8', r.pos, end);
      r.pos = end;
      return JSON.stringify(value);
    }
    case VARINT2:
      r.pos = memberAt;
      return r.bool() ? 'true' : 'false';
    case VARINT3: {
      r.pos = memberAt;
      const big = r.int64();
      const n = Number(big);
      return Number.isSafeInteger(n) ? String(n) : '"' + String(big) + '"';
    }
    case I64_4: {
      r.pos = memberAt;
      const d = r.double();
      return Number.isFinite(d) ? String(d) : '"' + String(d) + '"';
    }
    case LEN7: {
      r.pos = memberAt;
      const end = r.lengthEnd();
      const b64 = text.toString('base64', r.pos, end);
      r.pos = end;
      return '"' + b64 + '"';
    }
  }
  // Lists (and anything rarer): decoded, as mapping.ts does.
  r.pos = valueAt;
  const v = decodeAnyValue(r, r.lengthEnd(), 0);
  return JSON.stringify(anyValueToPlainJson(v));
}

/** The body as mapping.ts's `message`, into `w`: a string as is, anything else as anyValueToString. */
export function writeMessage(w: JsonBytes, r: ProtoReader, text: Buffer, bodyAt: number): void {
  if (bodyAt < 0) {
    w.bytes(EMPTY_STRING);
    return;
  }
  r.pos = bodyAt;
  const end = r.lengthEnd();
  const member = lastMember(r, end);
  if (member === LEN1) {
    r.pos = memberAt;
    const stringEnd = r.lengthEnd();
    w.utf8String(text, r.pos, stringEnd);
    return;
  }
  r.pos = bodyAt;
  w.text(JSON.stringify(anyValueToString(decodeAnyValue(r, r.lengthEnd(), 0))));
}

/** The fixed64 at `at` is 0 (an unset timestamp). */
export function zero64(text: Buffer, at: number): boolean {
  return text.readUInt32LE(at) === 0 && text.readUInt32LE(at + 4) === 0;
}

const TIMESTAMP = Buffer.from(',"timestamp":');
const OTEL_TIMESTAMP = Buffer.from(',"otel.timestamp":"');
const ID_NAMES = {
  trace: [Buffer.from(',"otel.trace_id":"'), Buffer.from('","dd.trace_id":"')],
  span: [Buffer.from(',"otel.span_id":"'), Buffer.from('","dd.span_id":"')],
} as const;

/** `timestamp` (ms) and `otel.timestamp` (ns, decimal) of a uint64 given as two uint32 halves. */
export function writeTimestamp(w: JsonBytes, hi: number, lo: number): void {
  const msPart = divMillion(hi, lo);
  const rest = remainder;
  w.bytes(TIMESTAMP);
  w.digits(msPart);
  w.bytes(OTEL_TIMESTAMP);
  if (msPart === 0) w.digits(rest);
  else {
    w.digits(msPart);
    w.digits(rest, 6);
  }
  w.byte(0x22);
}

/**
 * `otel.trace_id` (hex) and `dd.trace_id` (the low 64 bits in decimal, exact without BigInt), or
 * the span's, for an id that is set: not empty, not all zero.
 */
export function writeIds(w: JsonBytes, r: ProtoReader, text: Buffer, at: number, kind: 'trace' | 'span'): void {
  r.pos = at;
  const end = r.lengthEnd();
  const start = r.pos;
  let set = false;
  for (let i = start; i < end; i++) {
    if (r.buf[i] !== 0) {
      set = true;
      break;
    }
  }
  if (!set) return;
  const [otel, dd] = ID_NAMES[kind];
  w.bytes(otel);
  w.hex(text, start, end);
  w.bytes(dd);
  if (end - start < 8) w.text(BigInt('0x' + text.toString('hex', start, end)).toString());
  else {
    const hi = text.readUInt32BE(end - 8);
    const lo = text.readUInt32BE(end - 4);
    if (hi < 0x200000) w.digits(hi * 4294967296 + lo);
    else {
      w.digits(divMillion(hi, lo));
      w.digits(remainder, 6);
    }
  }
  w.byte(0x22);
}

/** divMillion's remainder (a second return value without an array per call). */
let remainder = 0;

/**
 * A uint64 (hi, lo uint32 halves) divided by 10^6 without BigInt: hi·2^32 = hi·4294·10^6 +
 * hi·967296, and hi·967296 + lo < 2^53 stays exact in a double. Returns the quotient; the remainder is left in `remainder`.
 */
function divMillion(hi: number, lo: number): number {
  const t = hi * 967296 + lo;
  remainder = t % 1_000_000;
  return hi * 4294 + (t - remainder) / 1_000_000;
}

/** Where the member lastMember found last starts (its value, after the tag). */
export let memberAt = -1;

/**
 * The AnyValue's member that decoding keeps (the last one on the wire, protobuf's oneof rule), as
 * its tag, or 0 for none; its position is left in `memberAt`. The reader ends at `end`.
 */
export function lastMember(r: ProtoReader, end: number): number {
  let member = 0;
  while (r.pos < end) {
    const t = r.tag();
    switch (t) {
      case LEN1:
      case VARINT2:
      case VARINT3:
      case I64_4:
      case LEN5:
      case LEN6:
      case LEN7:
        member = t;
        memberAt = r.pos;
        break;
    }
    r.skip(t);
  }
  r.expectEnd(end);
  return member;
}
