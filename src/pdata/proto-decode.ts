import type { AnyValue, InstrumentationScope, KeyValue, LogRecord, Logs, Resource, ResourceLogs, ScopeLogs } from './model.js';
import { invalid, ProtoReader } from './proto-wire.js';

/**
 * ExportLogsServiceRequest / LogsData protobuf → Logs, read by hand straight into the model (see
 * proto-encode.ts for why not reflection). Tags are matched as (field << 3 | wire type), so a known
 * field arriving with an unexpected wire type is skipped like an unknown one instead of misread.
 * No field of the logs schema is a repeated scalar, so packed encoding never arises here.
 */

/** AnyValue nesting (arrays/kvlists) deeper than this is refused: real data is shallow, and recursion must stay bounded. */
export const MAX_ANY_VALUE_DEPTH = 64;

const EMPTY = new Uint8Array(0);

// Tags as (field << 3 | wire type) constants: switch on literals stays a jump table.
const LEN1 = 10, LEN2 = 18, LEN3 = 26, LEN5 = 42, LEN6 = 50, LEN7 = 58, LEN9 = 74, LEN10 = 82, LEN12 = 98;
const VARINT2 = 16, VARINT3 = 24, VARINT4 = 32, VARINT7 = 56;
const I64_1 = 9, I64_4 = 33, I64_11 = 89, I32_8 = 69;

export function decodeLogsFrom(r: ProtoReader): Logs {
  const resourceLogs: ResourceLogs[] = [];
  const end = r.length;
  while (r.pos < end) {
    const t = r.tag();
    if (t === LEN1) resourceLogs.push(decodeResourceLogs(r, r.lengthEnd()));
    else r.skip(t);
  }
  return { resourceLogs };
}

function decodeResourceLogs(r: ProtoReader, end: number): ResourceLogs {
  const rl: ResourceLogs = { scopeLogs: [], schemaUrl: '' };
  while (r.pos < end) {
    const t = r.tag();
    switch (t) {
      case LEN1:
        rl.resource = decodeResource(r, r.lengthEnd());
        break;
      case LEN2:
        rl.scopeLogs.push(decodeScopeLogs(r, r.lengthEnd()));
        break;
      case LEN3:
        rl.schemaUrl = r.string();
        break;
      default:
        r.skip(t);
    }
  }
  r.expectEnd(end);
  return rl;
}

export function decodeResource(r: ProtoReader, end: number): Resource {
  const res: Resource = { attributes: [], droppedAttributesCount: 0 };
  while (r.pos < end) {
    const t = r.tag();
    if (t === LEN1) res.attributes.push(decodeKeyValue(r, r.lengthEnd(), 0));
    else if (t === VARINT2) res.droppedAttributesCount = r.uint32();
    else r.skip(t);
  }
  r.expectEnd(end);
  return res;
}

function decodeScopeLogs(r: ProtoReader, end: number): ScopeLogs {
  const sl: ScopeLogs = { logRecords: [], schemaUrl: '' };
  while (r.pos < end) {
    const t = r.tag();
    switch (t) {
      case LEN1:
        sl.scope = decodeScope(r, r.lengthEnd());
        break;
      case LEN2:
        sl.logRecords.push(decodeLogRecord(r, r.lengthEnd()));
        break;
      case LEN3:
        sl.schemaUrl = r.string();
        break;
      default:
        r.skip(t);
    }
  }
  r.expectEnd(end);
  return sl;
}

function decodeScope(r: ProtoReader, end: number): InstrumentationScope {
  const s: InstrumentationScope = { name: '', version: '', attributes: [], droppedAttributesCount: 0 };
  while (r.pos < end) {
    const t = r.tag();
    switch (t) {
      case LEN1:
        s.name = r.string();
        break;
      case LEN2:
        s.version = r.string();
        break;
      case LEN3:
        s.attributes.push(decodeKeyValue(r, r.lengthEnd(), 0));
        break;
      case VARINT4:
        s.droppedAttributesCount = r.uint32();
        break;
      default:
        r.skip(t);
    }
  }
  r.expectEnd(end);
  return s;
}

export function decodeLogRecord(r: ProtoReader, end: number): LogRecord {
  const lr: LogRecord = {
    timeUnixNano: 0n,
    observedTimeUnixNano: 0n,
    severityNumber: 0,
    severityText: '',
    attributes: [],
    droppedAttributesCount: 0,
    flags: 0,
    traceId: EMPTY,
    spanId: EMPTY,
    eventName: '',
  };
  while (r.pos < end) {
    const t = r.tag();
    switch (t) {
      case I64_1:
        lr.timeUnixNano = r.fixed64();
        break;
      case VARINT2:
        lr.severityNumber = r.int32();
        break;
      case LEN3:
        lr.severityText = r.internedString();
        break;
      case LEN5:
        lr.body = decodeAnyValue(r, r.lengthEnd(), 0);
        break;
      case LEN6:
        lr.attributes.push(decodeKeyValue(r, r.lengthEnd(), 0));
        break;
      case VARINT7:
        lr.droppedAttributesCount = r.uint32();
        break;
      case I32_8:
        lr.flags = r.fixed32();
        break;
      case LEN9:
        lr.traceId = r.bytes();
        break;
      case LEN10:
        lr.spanId = r.bytes();
        break;
      case I64_11:
        lr.observedTimeUnixNano = r.fixed64();
        break;
      case LEN12:
        lr.eventName = r.internedString();
        break;
      default:
        r.skip(t);
    }
  }
  r.expectEnd(end);
  return lr;
}

function decodeKeyValue(r: ProtoReader, end: number, depth: number): KeyValue {
  const kv: KeyValue = { key: '' };
  while (r.pos < end) {
    const t = r.tag();
    if (t === LEN1) kv.key = r.internedString();
    else if (t === LEN2) kv.value = decodeAnyValue(r, r.lengthEnd(), depth);
    else r.skip(t);
  }
  r.expectEnd(end);
  return kv;
}

/** The oneof: when a sender sets several members, the last one on the wire wins (protobuf rule). */
export function decodeAnyValue(r: ProtoReader, end: number, depth: number): AnyValue {
  if (depth > MAX_ANY_VALUE_DEPTH) invalid(`AnyValue nested deeper than ${MAX_ANY_VALUE_DEPTH}`);
  let v: AnyValue = {};
  while (r.pos < end) {
    const t = r.tag();
    switch (t) {
      case LEN1:
        v = { stringValue: r.string() };
        break;
      case VARINT2:
        v = { boolValue: r.bool() };
        break;
      case VARINT3:
        v = { intValue: r.int64() };
        break;
      case I64_4:
        v = { doubleValue: r.double() };
        break;
      case LEN5:
        v = { arrayValue: { values: decodeValueList(r, r.lengthEnd(), depth + 1) } };
        break;
      case LEN6:
        v = { kvlistValue: { values: decodeKeyValueList(r, r.lengthEnd(), depth + 1) } };
        break;
      case LEN7:
        v = { bytesValue: r.bytes() };
        break;
      default:
        r.skip(t);
    }
  }
  r.expectEnd(end);
  return v;
}

function decodeValueList(r: ProtoReader, end: number, depth: number): AnyValue[] {
  const values: AnyValue[] = [];
  while (r.pos < end) {
    const t = r.tag();
    if (t === LEN1) values.push(decodeAnyValue(r, r.lengthEnd(), depth));
    else r.skip(t);
  }
  r.expectEnd(end);
  return values;
}

function decodeKeyValueList(r: ProtoReader, end: number, depth: number): KeyValue[] {
  const values: KeyValue[] = [];
  while (r.pos < end) {
    const t = r.tag();
    if (t === LEN1) values.push(decodeKeyValue(r, r.lengthEnd(), depth));
    else r.skip(t);
  }
  r.expectEnd(end);
  return values;
}
