import { PermanentError } from '../errors.js';

/**
 * Protobuf wire primitives shared by the hand-written codecs (logs, export response, rpc status).
 *
 * Reading is defensive: every read is bounds-checked against the whole buffer, varints are capped at
 * 10 bytes, and each message decoder checks it ended exactly at its declared length, so truncated or
 * garbage input ends in a PermanentError (PAYLOAD_INVALID) instead of a RangeError, a wrong value or
 * a loop. Writing assumes a buffer pre-sized by a sizing pass (no growth, no copies).
 */

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
const WIRE_START_GROUP = 3;
const WIRE_END_GROUP = 4;
export const WIRE_I32 = 5;

/** Deprecated proto2 groups may still appear as unknown fields; nesting beyond this is an attack, not data. */
const MAX_GROUP_DEPTH = 32;
const INT32_MAX = 0x7fffffff;

export function invalid(message: string): never {
  throw new PermanentError(`invalid protobuf: ${message}`, 'PAYLOAD_INVALID');
}

/** Strings up to this many bytes go through the intern table (ProtoReader.shortString). */
const INTERN_MAX_BYTES = 40;
/** A power of two; a slot holds the last string that hashed there. */
const INTERN_SLOTS = 2048;
const INTERNED: (string | undefined)[] = new Array<string | undefined>(INTERN_SLOTS).fill(undefined);

export class ProtoReader {
  pos = 0;
  readonly buf: Uint8Array;
  private readonly view: DataView;
  private readonly text: Buffer;

  constructor(buf: Uint8Array) {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.text = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get length(): number {
    return this.buf.length;
  }

  /** Low 32 bits of a varint, unsigned (uint32 fields, tags, lengths). */
  uint32(): number {
    const buf = this.buf;
    let result = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= buf.length) invalid('truncated varint');
      const b = buf[this.pos++];
      if (i < 5) result |= (b & 0x7f) << (7 * i);
      if (b < 0x80) return result >>> 0;
    }
    return invalid('varint longer than 10 bytes');
  }

  /** int32 / enum: a negative value arrives sign-extended to 10 bytes; its low 32 bits are the value. */
  int32(): number {
    return this.uint32() | 0;
  }

  /** int64 varint, exact (two's complement for negatives). */
  int64(): bigint {
    const buf = this.buf;
    const start = this.pos;
    // Fast path: up to 7 bytes (49 bits) fits a double exactly.
    let value = 0;
    let mul = 1;
    for (let i = 0; i < 7; i++) {
      if (this.pos >= buf.length) invalid('truncated varint');
      const b = buf[this.pos++];
      value += (b & 0x7f) * mul;
      if (b < 0x80) return BigInt(value);
      mul *= 128;
    }
    this.pos = start;
    let big = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= buf.length) invalid('truncated varint');
      const b = buf[this.pos++];
      big |= BigInt(b & 0x7f) << BigInt(7 * i);
      if (b < 0x80) return BigInt.asIntN(64, big);
    }
    return invalid('varint longer than 10 bytes');
  }

  bool(): boolean {
    return this.int64() !== 0n;
  }

  private need(n: number): number {
    const at = this.pos;
    if (at + n > this.buf.length) invalid('truncated fixed-width field');
    this.pos = at + n;
    return at;
  }

  fixed32(): number {
    return this.view.getUint32(this.need(4), true);
  }

  fixed64(): bigint {
    return this.view.getBigUint64(this.need(8), true);
  }

  double(): number {
    return this.view.getFloat64(this.need(8), true);
  }

  /** Reads a length prefix and returns the end offset of the payload it announces. */
  lengthEnd(): number {
    // Fast path: a one-byte length (< 128), by far the most common in log records.
    const first = this.buf[this.pos];
    if (first !== undefined && first < 0x80) {
      const end = this.pos + 1 + first;
      if (end > this.buf.length) invalid('truncated length-delimited field');
      this.pos++;
      return end;
    }
    const before = this.pos;
    const len = this.uint32();
    const width = this.pos - before;
    // uint32() keeps only the low 32 bits; a 5th byte above 0x07 means the length needs more than 31.
    if (width > 5 || (width === 5 && this.buf[this.pos - 1] > 0x07) || len > INT32_MAX) invalid('length out of range');
    const end = this.pos + len;
    if (end > this.buf.length) invalid('truncated length-delimited field');
    return end;
  }

  string(): string {
    const end = this.lengthEnd();
    const start = this.pos;
    this.pos = end;
    return start === end ? '' : this.text.toString('utf8', start, end);
  }

  /**
   * A string field whose values repeat (attribute keys, severity text, event names): short ones
   * come from the intern table (shortString). Values that are mostly unique (ids, messages) use
   * string(): in the table they would only evict the keys.
   */
  internedString(): string {
    const end = this.lengthEnd();
    const start = this.pos;
    this.pos = end;
    if (start === end) return '';
    return end - start <= INTERN_MAX_BYTES ? this.shortString(start, end) : this.text.toString('utf8', start, end);
  }

  /**
   * A short string (attribute keys and the like: the same few per request, over and over)
   * taken from a small table when its bytes match the entry there, instead of a new string each
   * time: the decode of the Make example's records was a fifth string slicing (BENCHMARKS.md, issue
   * 23), and shared strings are less garbage and compare by identity in the processors' lookups.
   * ASCII only; anything else is decoded as UTF-8.
   */
  private shortString(start: number, end: number): string {
    const buf = this.buf;
    const n = end - start;
    // The slot from the length and three bytes: no pass over the string before the comparison.
    const slot = (n * 97 + buf[start]! * 31 + buf[start + (n >> 1)]! * 7 + buf[end - 1]!) & (INTERN_SLOTS - 1);
    const cached = INTERNED[slot];
    if (cached !== undefined && cached.length === n) {
      let i = 0;
      while (i < n && cached.charCodeAt(i) === buf[start + i]) i++;
      // Only ASCII strings are kept, so equal code units are equal bytes.
      if (i === n) return cached;
    }
    for (let i = start; i < end; i++) if (buf[i]! >= 0x80) return this.text.toString('utf8', start, end);
    const s = this.text.toString('latin1', start, end);
    INTERNED[slot] = s;
    return s;
  }

  /** A copy: the input buffer may be pooled or reused by the transport. */
  bytes(): Uint8Array {
    const end = this.lengthEnd();
    const out = new Uint8Array(end - this.pos);
    out.set(this.buf.subarray(this.pos, end));
    this.pos = end;
    return out;
  }

  /** A tag, checked: field number 0 is never valid. */
  tag(): number {
    // Fast path: a one-byte tag (field numbers below 16), every tag of the OTLP logs messages.
    const first = this.buf[this.pos];
    if (first !== undefined && first < 0x80) {
      if (first >>> 3 === 0) invalid('field number 0');
      this.pos++;
      return first;
    }
    const tag = this.uint32();
    if (tag >>> 3 === 0) invalid('field number 0');
    return tag;
  }

  /** Skips the value of an unknown field (forward compatibility: newer senders add fields). */
  skip(tag: number, depth = 0): void {
    switch (tag & 7) {
      case WIRE_VARINT:
        if (this.buf[this.pos]! < 0x80) this.pos++;
        else this.uint32();
        return;
      case WIRE_I64:
        this.need(8);
        return;
      case WIRE_LEN:
        this.pos = this.lengthEnd();
        return;
      case WIRE_I32:
        this.need(4);
        return;
      case WIRE_START_GROUP: {
        if (depth >= MAX_GROUP_DEPTH) invalid('groups nested too deeply');
        for (;;) {
          if (this.pos >= this.buf.length) invalid('unterminated group');
          const inner = this.tag();
          if ((inner & 7) === WIRE_END_GROUP) {
            if (inner >>> 3 !== tag >>> 3) invalid('mismatched end group');
            return;
          }
          this.skip(inner, depth + 1);
        }
      }
      default:
        return invalid(`wire type ${tag & 7}`);
    }
  }

  /** A message decoder calls this when its loop ends: overrunning the declared length is malformed. */
  expectEnd(end: number): void {
    if (this.pos !== end) invalid('field overruns its enclosing message');
  }
}

// ---- sizing ----

export function varint32Size(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

/** int32/enum: negatives take 10 bytes (sign-extended to 64 bits). */
export function int32Size(v: number): number {
  return v < 0 ? 10 : varint32Size(v);
}

export function int64Size(v: bigint): number {
  // Most int64 values are small and non-negative: compared as bigints, no BigInt.asUintN allocation.
  if (v >= 0n && v < 0x80000000n) return varint32Size(Number(v));
  let u = BigInt.asUintN(64, v);
  if (u < 0x80000000n) return varint32Size(Number(u));
  let n = 1;
  while (u >= 0x80n) {
    u >>= 7n;
    n++;
  }
  return n;
}

/** Strings this long go straight to Buffer.byteLength; scanning for ASCII first would not pay. */
const LONG_STRING = 256;

/** UTF-8 length, with lone surrogates counted as U+FFFD (3 bytes), as Buffer.write encodes them. */
export function utf8Length(s: string): number {
  const n = s.length;
  if (n < LONG_STRING) {
    let i = 0;
    while (i < n && s.charCodeAt(i) < 0x80) i++;
    if (i === n) return n;
  }
  return Buffer.byteLength(s, 'utf8');
}

/** A length-delimited field with a one-byte tag (every field number we write is < 16). */
export function lenFieldSize(payload: number): number {
  return 1 + varint32Size(payload) + payload;
}

// ---- writing ----

export class ProtoWriter {
  pos = 0;
  readonly buf: Uint8Array;
  private readonly view: DataView;
  private readonly text: Buffer;

  constructor(size: number) {
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
    this.text = Buffer.from(this.buf.buffer, 0, size);
  }

  /** Field numbers we write are all < 16, so a tag is one byte. */
  tag(field: number, wire: number): void {
    this.buf[this.pos++] = (field << 3) | wire;
  }

  varint32(v: number): void {
    const buf = this.buf;
    while (v > 0x7f) {
      buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[this.pos++] = v;
  }

  int32(v: number): void {
    if (v >= 0) this.varint32(v);
    else this.int64(BigInt(v));
  }

  int64(v: bigint): void {
    if (v >= 0n && v < 0x80000000n) {
      this.varint32(Number(v));
      return;
    }
    const u = BigInt.asUintN(64, v);
    let lo = Number(u & 0xffffffffn);
    let hi = Number(u >> 32n);
    const buf = this.buf;
    while (hi !== 0) {
      buf[this.pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    this.varint32(lo);
  }

  fixed32(v: number): void {
    this.view.setUint32(this.pos, v >>> 0, true);
    this.pos += 4;
  }

  fixed64(v: bigint): void {
    this.view.setBigUint64(this.pos, BigInt.asUintN(64, v), true);
    this.pos += 8;
  }

  double(v: number): void {
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  bytes(v: Uint8Array): void {
    this.varint32(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
  }

  /** `byteLength` comes from the sizing pass (utf8Length), so the string is measured once. */
  string(s: string, byteLength: number): void {
    this.varint32(byteLength);
    if (byteLength === s.length) {
      const buf = this.buf;
      let p = this.pos;
      for (let i = 0; i < byteLength; i++) buf[p++] = s.charCodeAt(i);
    } else {
      this.text.write(s, this.pos, byteLength, 'utf8');
    }
    this.pos += byteLength;
  }
}
