import type { AnyValue, InstrumentationScope, KeyValue, LogRecord, Logs, Resource, ResourceLogs, ScopeLogs } from './model.js';
import { int32Size, int64Size, lenFieldSize, ProtoWriter, utf8Length, varint32Size, WIRE_I32, WIRE_I64, WIRE_LEN, WIRE_VARINT } from './proto-wire.js';

/**
 * Logs → ExportLogsServiceRequest protobuf, written by hand over the model.
 *
 * Why not protobufjs reflection: it would need a conversion of our model (bigint, Uint8Array) into
 * its message objects and back, allocating a second object tree per request on the hottest path
 * (decode → process → encode → commit). Instead two passes walk the model directly: the first
 * records every nested message size and string byte length in one flat array in visit order, the
 * second writes into a single exactly-sized buffer, reading those sizes back in the same order.
 * Both passes must therefore visit (and skip) exactly the same fields in the same order.
 *
 * Proto3 defaults are omitted (zero timestamps, empty strings, zero counts), except inside the
 * AnyValue oneof, where a set member is written even when it holds its default.
 */

/**
 * Scratch space for the sizing pass, reused across calls (encoding is synchronous, so never shared
 * by two encodes at once). A typed array: measured several times faster than pushing to a JS array.
 */
const SCRATCH_INITIAL = 4096;
/** Past this many slots (4 MiB) the scratch is dropped after use: one huge request must not pin memory. */
const SCRATCH_KEEP_MAX = 1 << 20;
let scratch = new Int32Array(SCRATCH_INITIAL);

class Sizer {
  count = 0;

  /** Reserve a slot for a nested message size; `close` fills it once the children are measured. */
  private open(): number {
    if (this.count === scratch.length) {
      const grown = new Int32Array(scratch.length * 2);
      grown.set(scratch);
      scratch = grown;
    }
    return this.count++;
  }

  /** Records the payload size in its slot and returns the size of the whole field. */
  private close(slot: number, payload: number): number {
    scratch[slot] = payload;
    return lenFieldSize(payload);
  }

  private str(s: string): number {
    const n = utf8Length(s);
    // open() first: it may replace `scratch` when growing, and `scratch[this.open()]` would write to the old one.
    const slot = this.open();
    scratch[slot] = n;
    return 1 + varint32Size(n) + n;
  }

  logs(logs: Logs): number {
    let n = 0;
    for (const rl of logs.resourceLogs) {
      const slot = this.open();
      n += this.close(slot, this.resourceLogs(rl));
    }
    return n;
  }

  private resourceLogs(rl: ResourceLogs): number {
    let n = 0;
    if (rl.resource) {
      const slot = this.open();
      n += this.close(slot, this.resource(rl.resource));
    }
    for (const sl of rl.scopeLogs) {
      const slot = this.open();
      n += this.close(slot, this.scopeLogs(sl));
    }
    if (rl.schemaUrl) n += this.str(rl.schemaUrl);
    return n;
  }

  private resource(r: Resource): number {
    let n = this.attributes(r.attributes);
    if (r.droppedAttributesCount) n += 1 + varint32Size(r.droppedAttributesCount);
    return n;
  }

  private scopeLogs(sl: ScopeLogs): number {
    let n = 0;
    if (sl.scope) {
      const slot = this.open();
      n += this.close(slot, this.scope(sl.scope));
    }
    for (const lr of sl.logRecords) {
      const slot = this.open();
      n += this.close(slot, this.logRecord(lr));
    }
    if (sl.schemaUrl) n += this.str(sl.schemaUrl);
    return n;
  }

  private scope(s: InstrumentationScope): number {
    let n = 0;
    if (s.name) n += this.str(s.name);
    if (s.version) n += this.str(s.version);
    n += this.attributes(s.attributes);
    if (s.droppedAttributesCount) n += 1 + varint32Size(s.droppedAttributesCount);
    return n;
  }

  private logRecord(lr: LogRecord): number {
    let n = 0;
    if (lr.timeUnixNano) n += 9;
    if (lr.severityNumber) n += 1 + int32Size(lr.severityNumber);
    if (lr.severityText) n += this.str(lr.severityText);
    if (lr.body) {
      const slot = this.open();
      n += this.close(slot, this.anyValue(lr.body));
    }
    n += this.attributes(lr.attributes);
    if (lr.droppedAttributesCount) n += 1 + varint32Size(lr.droppedAttributesCount);
    if (lr.flags) n += 5;
    if (lr.traceId.length) n += lenFieldSize(lr.traceId.length);
    if (lr.spanId.length) n += lenFieldSize(lr.spanId.length);
    if (lr.observedTimeUnixNano) n += 9;
    if (lr.eventName) n += this.str(lr.eventName);
    return n;
  }

  private attributes(attrs: KeyValue[]): number {
    let n = 0;
    for (const kv of attrs) {
      const slot = this.open();
      let m = kv.key ? this.str(kv.key) : 0;
      if (kv.value) {
        const valueSlot = this.open();
        m += this.close(valueSlot, this.anyValue(kv.value));
      }
      n += this.close(slot, m);
    }
    return n;
  }

  private anyValue(v: AnyValue): number {
    if (v.stringValue !== undefined) return this.str(v.stringValue);
    if (v.boolValue !== undefined) return 2;
    if (v.intValue !== undefined) return 1 + int64Size(v.intValue);
    if (v.doubleValue !== undefined) return 9;
    if (v.arrayValue !== undefined) {
      const slot = this.open();
      let n = 0;
      for (const x of v.arrayValue.values) {
        const itemSlot = this.open();
        n += this.close(itemSlot, this.anyValue(x));
      }
      return this.close(slot, n);
    }
    if (v.kvlistValue !== undefined) {
      const slot = this.open();
      return this.close(slot, this.attributes(v.kvlistValue.values));
    }
    if (v.bytesValue !== undefined) return lenFieldSize(v.bytesValue.length);
    return 0;
  }
}

class Encoder {
  private next = 0;

  constructor(private readonly w: ProtoWriter) {}

  private open(field: number): void {
    this.w.tag(field, WIRE_LEN);
    this.w.varint32(scratch[this.next++]);
  }

  private str(field: number, s: string): void {
    this.w.tag(field, WIRE_LEN);
    this.w.string(s, scratch[this.next++]);
  }

  logs(logs: Logs): void {
    for (const rl of logs.resourceLogs) {
      this.open(1);
      this.resourceLogs(rl);
    }
  }

  private resourceLogs(rl: ResourceLogs): void {
    if (rl.resource) {
      this.open(1);
      this.attributes(1, rl.resource.attributes);
      if (rl.resource.droppedAttributesCount) this.uint32(2, rl.resource.droppedAttributesCount);
    }
    for (const sl of rl.scopeLogs) {
      this.open(2);
      this.scopeLogs(sl);
    }
    if (rl.schemaUrl) this.str(3, rl.schemaUrl);
  }

  private scopeLogs(sl: ScopeLogs): void {
    if (sl.scope) {
      const s = sl.scope;
      this.open(1);
      if (s.name) this.str(1, s.name);
      if (s.version) this.str(2, s.version);
      this.attributes(3, s.attributes);
      if (s.droppedAttributesCount) this.uint32(4, s.droppedAttributesCount);
    }
    for (const lr of sl.logRecords) {
      this.open(2);
      this.logRecord(lr);
    }
    if (sl.schemaUrl) this.str(3, sl.schemaUrl);
  }

  private logRecord(lr: LogRecord): void {
    const w = this.w;
    if (lr.timeUnixNano) {
      w.tag(1, WIRE_I64);
      w.fixed64(lr.timeUnixNano);
    }
    if (lr.severityNumber) {
      w.tag(2, WIRE_VARINT);
      w.int32(lr.severityNumber);
    }
    if (lr.severityText) this.str(3, lr.severityText);
    if (lr.body) {
      this.open(5);
      this.anyValue(lr.body);
    }
    this.attributes(6, lr.attributes);
    if (lr.droppedAttributesCount) this.uint32(7, lr.droppedAttributesCount);
    if (lr.flags) {
      w.tag(8, WIRE_I32);
      w.fixed32(lr.flags);
    }
    if (lr.traceId.length) {
      w.tag(9, WIRE_LEN);
      w.bytes(lr.traceId);
    }
    if (lr.spanId.length) {
      w.tag(10, WIRE_LEN);
      w.bytes(lr.spanId);
    }
    if (lr.observedTimeUnixNano) {
      w.tag(11, WIRE_I64);
      w.fixed64(lr.observedTimeUnixNano);
    }
    if (lr.eventName) this.str(12, lr.eventName);
  }

  private uint32(field: number, v: number): void {
    this.w.tag(field, WIRE_VARINT);
    this.w.varint32(v);
  }

  private attributes(field: number, attrs: KeyValue[]): void {
    for (const kv of attrs) {
      this.open(field);
      if (kv.key) this.str(1, kv.key);
      if (kv.value) {
        this.open(2);
        this.anyValue(kv.value);
      }
    }
  }

  private anyValue(v: AnyValue): void {
    const w = this.w;
    if (v.stringValue !== undefined) this.str(1, v.stringValue);
    else if (v.boolValue !== undefined) {
      w.tag(2, WIRE_VARINT);
      w.varint32(v.boolValue ? 1 : 0);
    } else if (v.intValue !== undefined) {
      w.tag(3, WIRE_VARINT);
      w.int64(v.intValue);
    } else if (v.doubleValue !== undefined) {
      w.tag(4, WIRE_I64);
      w.double(v.doubleValue);
    } else if (v.arrayValue !== undefined) {
      this.open(5);
      for (const x of v.arrayValue.values) {
        this.open(1);
        this.anyValue(x);
      }
    } else if (v.kvlistValue !== undefined) {
      this.open(6);
      this.attributes(1, v.kvlistValue.values);
    } else if (v.bytesValue !== undefined) {
      w.tag(7, WIRE_LEN);
      w.bytes(v.bytesValue);
    }
  }
}

/** Logs → ExportLogsServiceRequest (also the LogsData layout) protobuf bytes. */
export function encodeLogs(logs: Logs): Uint8Array {
  const sizer = new Sizer();
  const total = sizer.logs(logs);
  const w = new ProtoWriter(total);
  new Encoder(w).logs(logs);
  if (scratch.length > SCRATCH_KEEP_MAX) scratch = new Int32Array(SCRATCH_INITIAL);
  return w.buf;
}
