import type { AnyValue } from './model.js';
import { encodeLogs } from './proto-encode.js';
import { ProtoReader, varint32Size } from './proto-wire.js';

/**
 * Attribute upserts spliced into an ExportLogsServiceRequest's bytes, without decoding it
 * (docs/architecture.md §10: decode only what statements read). A transform that only sets log
 * attributes to constants (`set(attributes["x"], true)`) reads nothing of the record, so the
 * records stay bytes: each record's attributes are walked for the keys being set, a matching
 * KeyValue is replaced, a missing one is inserted after the record's last attribute, and the
 * length prefixes of the enclosing LogRecord, ScopeLogs and ResourceLogs are rewritten. Everything
 * else is copied as received.
 *
 * The result decodes to exactly what decoding, applying the statements to the tree and encoding
 * would give (test/pdata/wire-upsert.test.ts checks it on the corpus, byte for byte when the input
 * is in the encoder's canonical field order): the first KeyValue with the key is the one replaced,
 * as the tree's lookup does; new keys go after the existing attributes, in statement order.
 */

export interface AttributeUpsert {
  key: string;
  value: AnyValue;
}

/** One upsert, encoded once: the key's UTF-8 bytes to compare, the whole `attributes` field to write. */
interface EncodedUpsert {
  key: Buffer;
  field: Uint8Array;
}

export class WireUpsert {
  private readonly upserts: EncodedUpsert[];

  /** `upserts` in statement order; a key set twice keeps its first position and its last value. */
  constructor(upserts: readonly AttributeUpsert[]) {
    const byKey = new Map<string, AnyValue>();
    for (const u of upserts) byKey.set(u.key, u.value);
    if (byKey.size > MAX_WIRE_UPSERTS) throw new Error(`WireUpsert: at most ${MAX_WIRE_UPSERTS} keys`);
    this.upserts = [...byKey].map(([key, value]) => ({ key: Buffer.from(key, 'utf8'), field: encodeAttributeField(key, value) }));
  }

  /** The request with every log record's attributes upserted. Throws PermanentError on malformed input. */
  apply(bytes: Uint8Array): Uint8Array {
    const edits = new Edits();
    const r = new ProtoReader(bytes);
    const end = r.length;
    while (r.pos < end) {
      const t = r.tag();
      if (t === LEN1) this.message(r, edits, this.resourceLogs);
      else r.skip(t);
    }
    return edits.applyTo(bytes);
  }

  /**
   * A length-delimited field whose payload `body` may edit: its length prefix is replaced when the
   * payload's size changes. Returns the change in bytes of the whole field.
   */
  private message(r: ProtoReader, edits: Edits, body: (r: ProtoReader, end: number, edits: Edits) => number): number {
    const lengthAt = r.pos;
    const end = r.lengthEnd();
    const lengthEnd = r.pos;
    const slot = edits.reserve();
    const delta = body.call(this, r, end, edits);
    if (delta === 0) return 0;
    const payload = end - lengthEnd + delta;
    edits.fill(slot, lengthAt, lengthEnd, varint(payload));
    return delta + varint32Size(payload) - (lengthEnd - lengthAt);
  }

  private resourceLogs(r: ProtoReader, end: number, edits: Edits): number {
    let delta = 0;
    while (r.pos < end) {
      const t = r.tag();
      if (t === LEN2) delta += this.message(r, edits, this.scopeLogs);
      else r.skip(t);
    }
    r.expectEnd(end);
    return delta;
  }

  private scopeLogs(r: ProtoReader, end: number, edits: Edits): number {
    let delta = 0;
    while (r.pos < end) {
      const t = r.tag();
      if (t === LEN2) delta += this.message(r, edits, this.logRecord);
      else r.skip(t);
    }
    r.expectEnd(end);
    return delta;
  }

  private logRecord(r: ProtoReader, end: number, edits: Edits): number {
    const upserts = this.upserts;
    let matched = 0; // bit i: upsert i replaced an existing KeyValue (at most 31 upserts take this path)
    let insertAt = -1; // after the last attribute
    let firstLater = -1; // before the first field numbered above `attributes`, when there is no attribute
    let delta = 0;
    while (r.pos < end) {
      const fieldAt = r.pos;
      const t = r.tag();
      if (t === LEN6) {
        const kvEnd = r.lengthEnd();
        const i = matchKey(r, kvEnd, upserts);
        if (i >= 0 && (matched & (1 << i)) === 0) {
          matched |= 1 << i;
          const field = upserts[i]!.field;
          edits.replace(fieldAt, kvEnd, field);
          delta += field.length - (kvEnd - fieldAt);
        }
        r.pos = kvEnd;
        insertAt = kvEnd;
        continue;
      }
      if (firstLater < 0 && t >>> 3 > 6) firstLater = fieldAt;
      r.skip(t);
    }
    r.expectEnd(end);
    const at = insertAt >= 0 ? insertAt : firstLater >= 0 ? firstLater : end;
    for (let i = 0; i < upserts.length; i++) {
      if ((matched & (1 << i)) !== 0) continue;
      const field = upserts[i]!.field;
      edits.replace(at, at, field);
      delta += field.length;
    }
    return delta;
  }
}

/** Most upserts one transform may splice (one bit each in logRecord's `matched`). */
export const MAX_WIRE_UPSERTS = 31;

const LEN1 = 10, LEN2 = 18, LEN6 = 50;

/** The index of the upsert whose key this KeyValue has (its last key field, as decoding keeps), or -1. */
function matchKey(r: ProtoReader, end: number, upserts: readonly EncodedUpsert[]): number {
  let keyStart = -1;
  let keyEnd = -1;
  while (r.pos < end) {
    const t = r.tag();
    if (t === LEN1) {
      keyEnd = r.lengthEnd();
      keyStart = r.pos;
      r.pos = keyEnd;
    } else r.skip(t);
  }
  r.expectEnd(end);
  const buf = r.buf;
  const length = keyStart < 0 ? 0 : keyEnd - keyStart;
  for (let i = 0; i < upserts.length; i++) {
    const key = upserts[i]!.key;
    if (key.length !== length) continue;
    let same = true;
    for (let j = 0; j < length; j++) {
      if (buf[keyStart + j] !== key[j]) {
        same = false;
        break;
      }
    }
    if (same) return i;
  }
  return -1;
}

/** `attributes` (field 6) holding one KeyValue, as the encoder writes it. */
function encodeAttributeField(key: string, value: AnyValue): Uint8Array {
  // A one-record request carrying just this attribute: its innermost field is the bytes we need.
  const request = encodeLogs({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNano: 0n, observedTimeUnixNano: 0n, severityNumber: 0, severityText: '', attributes: [{ key, value }], droppedAttributesCount: 0, flags: 0, traceId: new Uint8Array(0), spanId: new Uint8Array(0), eventName: '' }], schemaUrl: '' }], schemaUrl: '' }] });
  const r = new ProtoReader(request);
  for (let depth = 0; depth < 3; depth++) {
    r.tag();
    r.lengthEnd();
  }
  return request.slice(r.pos);
}

function varint(v: number): Uint8Array {
  const out = new Uint8Array(varint32Size(v));
  let i = 0;
  while (v > 0x7f) {
    out[i++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  out[i] = v;
  return out;
}

const NONE = new Uint8Array(0);

/** Replacements of byte ranges of the input, in increasing offset order; slots are filled later. */
class Edits {
  private at: number[] = [];
  private end: number[] = [];
  private bytes: Uint8Array[] = [];
  private delta = 0;

  /** A place for an edit that precedes the ones its decision depends on (a length prefix). */
  reserve(): number {
    this.at.push(-1);
    this.end.push(-1);
    this.bytes.push(NONE);
    return this.at.length - 1;
  }

  fill(slot: number, at: number, end: number, bytes: Uint8Array): void {
    this.at[slot] = at;
    this.end[slot] = end;
    this.bytes[slot] = bytes;
    this.delta += bytes.length - (end - at);
  }

  replace(at: number, end: number, bytes: Uint8Array): void {
    this.at.push(at);
    this.end.push(end);
    this.bytes.push(bytes);
    this.delta += bytes.length - (end - at);
  }

  applyTo(input: Uint8Array): Uint8Array {
    const out = new Uint8Array(input.length + this.delta);
    let from = 0;
    let to = 0;
    for (let i = 0; i < this.at.length; i++) {
      const at = this.at[i]!;
      if (at < 0) continue; // a reserved slot nothing needed
      out.set(input.subarray(from, at), to);
      to += at - from;
      const b = this.bytes[i]!;
      out.set(b, to);
      to += b.length;
      from = this.end[i]!;
    }
    out.set(input.subarray(from), to);
    return out;
  }
}
