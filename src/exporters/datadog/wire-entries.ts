import type { ResourceLogs, ScopeLogs } from '../../pdata/model.js';
import { decodeLogRecord, decodeResource } from '../../pdata/proto-decode.js';
import { ProtoReader } from '../../pdata/proto-wire.js';
import { statusFromSeverity, toDatadogEntry, type MappingOptions } from './mapping.js';
import { COMMA, SEPARATOR_BYTES, SPACE, type WireEntries, type WireEntry } from './entry-buffer.js';
import { RESERVED, resourcePart, type ResourcePart } from './resource-part.js';
import { ascii, JsonBytes } from './json-bytes.js';
import { MAX_ENTRY_BYTES, serializeEntry } from './payload.js';
import { lastMember, memberAt, writeIds, writeMessage, writeTimestamp, writeValue, zero64 } from './wire-json.js';

/**
 * Datadog JSON entries written straight from the queued protobuf bytes (docs/architecture.md §10:
 * vendor JSON from the wire walk). Mapping a decoded tree built an object per record by spreading
 * the resource's attributes and then JSON.stringify'd it: with the decode, that was most of the
 * exporter's CPU per record (BENCHMARKS.md, issue 23). Here each record's fields are read from its
 * bytes and its entry is written as bytes into one buffer (json-bytes.ts), the resource's part
 * encoded once per resource (resource-part.ts); entries follow each other there separated by
 * `, `, so a batch of consecutive entries is one slice of it (entry-buffer.ts).
 *
 * The output must equal mapping.ts's field for field (test/exporters/datadog/wire-entries.test.ts
 * checks it on the corpus). Where the text could not simply be appended — a record key that a
 * resource key, a reserved field or another key of the record also writes (the object keeps one,
 * the text would hold both), or an entry above Datadog's 1 MB that needs its message cut — that
 * record alone is decoded and goes through mapping.ts and payload.ts as before.
 */

// Tags as (field << 3 | wire type), as in proto-decode.ts.
const LEN1 = 10, LEN2 = 18, LEN3 = 26, LEN5 = 42, LEN6 = 50, LEN9 = 74, LEN10 = 82;
const VARINT2 = 16, I64_1 = 9, I64_11 = 89;

/** Past this many keys a record's duplicate check uses a Set instead of a scan. */
const LINEAR_KEY_CHECK = 16;

interface CachedKey {
  /** The key's bytes in the request it was read from. */
  bytes: Uint8Array;
  text: string;
  /** `"key":` */
  quoted: Buffer;
  /** The resource part this key was last found to be neither reserved nor a resource key of. */
  freeIn?: ResourcePart;
}

const EMPTY_KEY: CachedKey = { bytes: new Uint8Array(0), text: '', quoted: ascii('"":') };
const MESSAGE = ascii('"message":');
const STATUS = ascii(',"status":');
const SEVERITY_NUMBER = ascii(',"otel.severity_number":"');
const SEVERITY_TEXT = ascii(',"otel.severity_text":');
const NULL = ascii('null');
const QUOTE = 0x22, COLON = 0x3a, CLOSE_BRACE = 0x7d;

const SCOPE_STUB: ScopeLogs = { logRecords: [], schemaUrl: '' };

/** `out` is reused when given (the sender's pool): whatever it held is overwritten. */
export function datadogEntriesFromWire(bytes: Uint8Array, options: MappingOptions, out = new JsonBytes()): WireEntries {
  // Two bytes before the first entry, as between entries: the space becomes `[` in batchBody.
  out.ensure(SEPARATOR_BYTES);
  out.buf[0] = COMMA;
  out.buf[1] = SPACE;
  out.pos = SEPARATOR_BYTES;
  const walk = new EntryWalk(new ProtoReader(bytes), options, out);
  walk.request();
  return { entries: walk.entries, unfit: walk.unfit, records: walk.index, out: out.buf, lent: [] };
}

class EntryWalk {
  entries: WireEntry[] = [];
  unfit: number[] = [];
  index = 0;
  /** The record's flattened keys so far (reused across records). */
  private keys: string[] = [];
  private keySet: Set<string> | undefined;
  /** Keys read by ordinal within the previous records (keyOf). */
  private keyCache: (CachedKey | undefined)[] = [];
  private keyOrdinal = 0;
  private part!: ResourcePart;
  private readonly text: Buffer;
  /** No member written yet in the current entry (a comma goes before every other). */
  private first = true;

  constructor(
    private readonly r: ProtoReader,
    private readonly options: MappingOptions,
    private readonly w: JsonBytes,
  ) {
    this.text = Buffer.from(r.buf.buffer, r.buf.byteOffset, r.buf.byteLength);
  }

  request(): void {
    const r = this.r;
    while (r.pos < r.length) {
      const t = r.tag();
      if (t === LEN1) this.resourceLogs(r.lengthEnd());
      else r.skip(t);
    }
  }

  private resourceLogs(end: number): void {
    const r = this.r;
    // The resource may come after its scope logs on the wire: find it first (the last one wins).
    const scopes: number[] = [];
    let resourceAt = -1;
    while (r.pos < end) {
      const t = r.tag();
      if (t === LEN1 || t === LEN2) {
        const start = r.pos;
        const fieldEnd = r.lengthEnd();
        if (t === LEN1) resourceAt = start;
        else scopes.push(start);
        r.pos = fieldEnd;
      } else r.skip(t);
    }
    r.expectEnd(end);
    const rl: ResourceLogs = { scopeLogs: [], schemaUrl: '' };
    if (resourceAt >= 0) {
      r.pos = resourceAt;
      const resourceEnd = r.lengthEnd();
      rl.resource = decodeResource(r, resourceEnd);
    }
    this.part = resourcePart(rl, this.options);
    for (const at of scopes) {
      r.pos = at;
      this.scopeLogs(r.lengthEnd());
    }
    r.pos = end;
  }

  private scopeLogs(end: number): void {
    const r = this.r;
    while (r.pos < end) {
      const t = r.tag();
      if (t === LEN2) {
        const recordEnd = r.lengthEnd();
        const start = r.pos;
        this.record(start, recordEnd);
        this.index++;
        r.pos = recordEnd;
      } else r.skip(t);
    }
    r.expectEnd(end);
  }

  private record(start: number, end: number): void {
    const r = this.r;
    const w = this.w;
    const part = this.part;
    let time = -1;
    let observed = -1;
    let severityNumber = 0;
    let severityText = '';
    let bodyAt = -1;
    let traceAt = -1;
    let spanAt = -1;
    const mark = w.pos;
    w.bytes(part.head);
    this.first = part.head.length === 1;
    let slow = part.slow;
    this.keys.length = 0;
    this.keySet = undefined;
    this.keyOrdinal = 0;
    while (r.pos < end) {
      const t = r.tag();
      switch (t) {
        case I64_1:
          time = r.pos;
          r.skip(t);
          break;
        case VARINT2:
          severityNumber = r.int32();
          break;
        case LEN3:
          severityText = r.string();
          break;
        case LEN5:
          bodyAt = r.pos;
          r.pos = r.lengthEnd();
          break;
        case LEN6: {
          const kvEnd = r.lengthEnd();
          if (!slow && !this.keyValue(kvEnd, '')) slow = true;
          r.pos = kvEnd;
          break;
        }
        case LEN9:
          traceAt = r.pos;
          r.pos = r.lengthEnd();
          break;
        case LEN10:
          spanAt = r.pos;
          r.pos = r.lengthEnd();
          break;
        case I64_11:
          observed = r.pos;
          r.skip(t);
          break;
        default:
          r.skip(t);
      }
    }
    r.expectEnd(end);
    if (slow) return this.slowRecord(start, end, mark);

    if (!this.first) w.byte(COMMA);
    w.bytes(MESSAGE);
    writeMessage(w, r, this.text, bodyAt);
    const status = statusFromSeverity(severityNumber, severityText);
    if (status !== undefined) {
      w.bytes(STATUS);
      w.text(JSON.stringify(status));
    }
    const at = time >= 0 && !zero64(this.text, time) ? time : observed >= 0 && !zero64(this.text, observed) ? observed : -1;
    if (at >= 0) writeTimestamp(w, this.text.readUInt32LE(at + 4), this.text.readUInt32LE(at));
    w.bytes(part.tail);
    w.bytes(SEVERITY_NUMBER);
    if (severityNumber >= 0) w.digits(severityNumber);
    else w.text(String(severityNumber));
    w.byte(QUOTE);
    if (severityText !== '') {
      w.bytes(SEVERITY_TEXT);
      w.text(JSON.stringify(severityText));
    }
    if (traceAt >= 0) writeIds(w, r, this.text, traceAt, 'trace');
    if (spanAt >= 0) writeIds(w, r, this.text, spanAt, 'span');
    w.byte(CLOSE_BRACE);
    if (w.pos - mark > MAX_ENTRY_BYTES) return this.slowRecord(start, end, mark);
    this.entries.push({ index: this.index, start: mark, bytes: w.pos - mark });
    w.byte(COMMA);
    w.byte(SPACE);
  }

  /** The record decoded and mapped by mapping.ts, its message cut to fit if needed (payload.ts). */
  private slowRecord(start: number, end: number, mark: number): void {
    const r = this.r;
    const w = this.w;
    w.pos = mark;
    r.pos = start;
    const record = decodeLogRecord(r, end);
    const ref = { resourceLogs: this.part.rl, scopeLogs: SCOPE_STUB, record };
    const entry = serializeEntry(ref, toDatadogEntry(ref, this.options));
    if (entry === undefined) {
      this.unfit.push(this.index);
      return;
    }
    w.text(entry.json);
    this.entries.push({ index: this.index, start: mark, bytes: w.pos - mark });
    w.byte(COMMA);
    w.byte(SPACE);
  }

  /**
   * One attribute as `"key":value` members (a map flattened to dotted keys, none for an empty
   * map) written after a comma unless first; false when a key collides and the record must take
   * the slow path.
   */
  private keyValue(end: number, prefix: string): boolean {
    const r = this.r;
    const w = this.w;
    let keyStart = -1;
    let keyEnd = -1;
    let valueAt = -1;
    while (r.pos < end) {
      const t = r.tag();
      if (t === LEN1) {
        keyEnd = r.lengthEnd();
        keyStart = r.pos;
        r.pos = keyEnd;
      } else if (t === LEN2) {
        valueAt = r.pos;
        r.pos = r.lengthEnd();
      } else r.skip(t);
    }
    r.expectEnd(end);
    const key = keyStart < 0 ? EMPTY_KEY : this.keyOf(keyStart, keyEnd);
    const full = prefix === '' ? key.text : prefix + '.' + key.text;
    let member = 0;
    if (valueAt >= 0) {
      r.pos = valueAt;
      member = lastMember(r, r.lengthEnd());
      if (member === LEN6) {
        // A map: its entries flattened under this key, as mapping.ts's flattenInto.
        r.pos = memberAt;
        const listEnd = r.lengthEnd();
        while (r.pos < listEnd) {
          const t = r.tag();
          if (t === LEN1) {
            const entryEnd = r.lengthEnd();
            if (!this.keyValue(entryEnd, full)) return false;
            r.pos = entryEnd;
          } else r.skip(t);
        }
        r.expectEnd(listEnd);
        r.pos = end;
        return true;
      }
    }
    if (!this.claim(full, prefix === '' && key !== EMPTY_KEY ? key : undefined)) return false;
    if (this.first) this.first = false;
    else w.byte(COMMA);
    if (prefix === '') w.bytes(key.quoted);
    else {
      w.text(JSON.stringify(full));
      w.byte(COLON);
    }
    if (valueAt >= 0) writeValue(w, r, this.text, member, valueAt);
    else w.bytes(NULL);
    r.pos = end;
    return true;
  }

  /**
   * A key, as text and as a JSON member name. Records of one request mostly carry the same keys in
   * the same order, so the key read at the same ordinal of the previous record is compared byte for
   * byte before decoding and quoting again.
   */
  private keyOf(start: number, end: number): CachedKey {
    const slot = this.keyOrdinal++;
    const cached = this.keyCache[slot];
    const buf = this.r.buf;
    if (cached !== undefined && cached.bytes.length === end - start) {
      let same = true;
      for (let i = 0, n = end - start; i < n; i++) {
        if (cached.bytes[i] !== buf[start + i]) {
          same = false;
          break;
        }
      }
      if (same) return cached;
    }
    const text = this.text.toString('utf8', start, end);
    const key: CachedKey = { bytes: buf.subarray(start, end), text, quoted: Buffer.from(JSON.stringify(text) + ':') };
    this.keyCache[slot] = key;
    return key;
  }

  /**
   * Records a key of this record; false when anything else in the entry also writes it. A cached
   * top-level key remembers that it is neither reserved nor a key of the current resource.
   */
  private claim(key: string, cached?: CachedKey): boolean {
    if (cached === undefined || cached.freeIn !== this.part) {
      if (RESERVED.has(key) || Object.hasOwn(this.part.keys, key)) return false;
      if (cached !== undefined) cached.freeIn = this.part;
    }
    const keys = this.keys;
    if (this.keySet !== undefined) {
      if (this.keySet.has(key)) return false;
      this.keySet.add(key);
      return true;
    }
    for (let i = 0; i < keys.length; i++) if (keys[i] === key) return false;
    keys.push(key);
    if (keys.length > LINEAR_KEY_CHECK) this.keySet = new Set(keys);
    return true;
  }

}
