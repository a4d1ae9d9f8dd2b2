import type { AnyValue, KeyValue } from './model.js';

/**
 * KeyValue fields written as the logs encoder writes them (proto-encode.ts: a key only when
 * non-empty, a value only when present, the set oneof member even when it holds its default), for
 * the traces and metrics attribute rewrite (signal-attributes.ts). Many small attribute lists are
 * written per request, so they go into shared chunks instead of one buffer each: a fresh
 * Uint8Array per KeyValue was most of the cost of an `insert` on every span. The views `fields`
 * returns are valid until the next `reset`: the caller copies them out before (encoding is
 * synchronous, so one writer serves every request in turn).
 */

const CHUNK_BYTES = 64 * 1024;
const LEN = 2, VARINT = 0, I64 = 1;

export class KeyValueWriter {
  private chunk = Buffer.allocUnsafe(0);
  private pos = 0;

  /** Starts over in the current chunk: every view handed out before may be overwritten. */
  reset(): void {
    this.pos = 0;
  }

  /** One field per KeyValue, each with tag `tag`; the views stay valid after later writes. */
  fields(attrs: readonly KeyValue[], tag: number): Uint8Array[] {
    return attrs.map((kv) => {
      const payload = kvSize(kv);
      const size = varintSize(tag) + varintSize(payload) + payload;
      if (this.pos + size > this.chunk.length) {
        this.chunk = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, size));
        this.pos = 0;
      }
      const start = this.pos;
      this.varint(tag);
      this.varint(payload);
      this.keyValue(kv);
      return this.chunk.subarray(start, this.pos);
    });
  }

  private varint(v: number): void {
    while (v > 0x7f) {
      this.chunk[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.chunk[this.pos++] = v;
  }

  private str(field: number, s: string): void {
    this.varint((field << 3) | LEN);
    this.varint(Buffer.byteLength(s, 'utf8'));
    this.pos += this.chunk.write(s, this.pos, 'utf8');
  }

  private keyValue(kv: KeyValue): void {
    if (kv.key) this.str(1, kv.key);
    if (kv.value) {
      this.varint((2 << 3) | LEN);
      this.varint(valueSize(kv.value));
      this.value(kv.value);
    }
  }

  private value(v: AnyValue): void {
    if (v.stringValue !== undefined) this.str(1, v.stringValue);
    else if (v.boolValue !== undefined) {
      this.varint((2 << 3) | VARINT);
      this.varint(v.boolValue ? 1 : 0);
    } else if (v.intValue !== undefined) {
      this.varint((3 << 3) | VARINT);
      let u = BigInt.asUintN(64, v.intValue);
      while (u > 0x7fn) {
        this.chunk[this.pos++] = Number(u & 0x7fn) | 0x80;
        u >>= 7n;
      }
      this.chunk[this.pos++] = Number(u);
    } else if (v.doubleValue !== undefined) {
      this.varint((4 << 3) | I64);
      this.pos = this.chunk.writeDoubleLE(v.doubleValue, this.pos);
    } else if (v.arrayValue !== undefined) {
      this.varint((5 << 3) | LEN);
      this.varint(arraySize(v.arrayValue.values));
      for (const x of v.arrayValue.values) {
        this.varint((1 << 3) | LEN);
        this.varint(valueSize(x));
        this.value(x);
      }
    } else if (v.kvlistValue !== undefined) {
      this.varint((6 << 3) | LEN);
      this.varint(kvListSize(v.kvlistValue.values));
      for (const kv of v.kvlistValue.values) {
        this.varint((1 << 3) | LEN);
        this.varint(kvSize(kv));
        this.keyValue(kv);
      }
    } else if (v.bytesValue !== undefined) {
      this.varint((7 << 3) | LEN);
      this.varint(v.bytesValue.length);
      this.chunk.set(v.bytesValue, this.pos);
      this.pos += v.bytesValue.length;
    }
  }
}

function varintSize(v: number): number {
  let n = 1;
  while (v > 0x7f) {
    v >>>= 7;
    n++;
  }
  return n;
}

const lenField = (payload: number) => 1 + varintSize(payload) + payload;

function kvSize(kv: KeyValue): number {
  return (kv.key ? lenField(Buffer.byteLength(kv.key, 'utf8')) : 0) + (kv.value ? lenField(valueSize(kv.value)) : 0);
}

function valueSize(v: AnyValue): number {
  if (v.stringValue !== undefined) return lenField(Buffer.byteLength(v.stringValue, 'utf8'));
  if (v.boolValue !== undefined) return 2;
  if (v.intValue !== undefined) {
    let u = BigInt.asUintN(64, v.intValue);
    let n = 1;
    while (u > 0x7fn) {
      u >>= 7n;
      n++;
    }
    return 1 + n;
  }
  if (v.doubleValue !== undefined) return 9;
  if (v.arrayValue !== undefined) return lenField(arraySize(v.arrayValue.values));
  if (v.kvlistValue !== undefined) return lenField(kvListSize(v.kvlistValue.values));
  if (v.bytesValue !== undefined) return lenField(v.bytesValue.length);
  return 0;
}

const arraySize = (values: AnyValue[]) => values.reduce((n, x) => n + lenField(valueSize(x)), 0);
const kvListSize = (values: KeyValue[]) => values.reduce((n, kv) => n + lenField(kvSize(kv)), 0);
