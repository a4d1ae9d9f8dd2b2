/**
 * The in-memory log model: the OTLP logs data model (opentelemetry/proto/logs/v1/logs.proto) as
 * plain objects. Every codec and component speaks this shape.
 *
 * Why these representations:
 * - 64-bit integers (timestamps, AnyValue int) are `bigint`, so values beyond 2^53 survive exactly.
 * - trace/span ids and bytes values are `Uint8Array`; an empty array means "not set" (as on the wire).
 * - Absent optional messages are `undefined`; scalar fields always carry their proto3 default.
 *
 * Exporters and the fan-out treat `Logs` as read-only; processors that change records own their
 * copy (the fan-out clones before a pipeline that mutates).
 */
import type { ClientInfo } from './client-info.js';

export interface AnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: bigint;
  doubleValue?: number;
  arrayValue?: ArrayValue;
  kvlistValue?: KeyValueList;
  bytesValue?: Uint8Array;
}

export interface ArrayValue {
  values: AnyValue[];
}

export interface KeyValueList {
  values: KeyValue[];
}

export interface KeyValue {
  key: string;
  value?: AnyValue;
}

export interface Resource {
  attributes: KeyValue[];
  droppedAttributesCount: number;
}

export interface InstrumentationScope {
  name: string;
  version: string;
  attributes: KeyValue[];
  droppedAttributesCount: number;
}

export interface LogRecord {
  timeUnixNano: bigint;
  observedTimeUnixNano: bigint;
  severityNumber: number;
  severityText: string;
  body?: AnyValue;
  attributes: KeyValue[];
  droppedAttributesCount: number;
  flags: number;
  traceId: Uint8Array;
  spanId: Uint8Array;
  eventName: string;
}

export interface ScopeLogs {
  scope?: InstrumentationScope;
  logRecords: LogRecord[];
  schemaUrl: string;
}

export interface ResourceLogs {
  resource?: Resource;
  scopeLogs: ScopeLogs[];
  schemaUrl: string;
}

/**
 * Key of the record count a `Logs` may know without being decoded (lazy-logs.ts: a request not
 * yet read, counted by the receiver's wire walk). A symbol, not an `instanceof LazyLogs` check,
 * so the model does not load the protobuf codec at run time.
 */
export const WALKED_RECORD_COUNT: unique symbol = Symbol('walkedRecordCount');

/** A `Logs` that can count its records without decoding; `undefined` once it has been read. */
export interface WalkedLogs {
  readonly [WALKED_RECORD_COUNT]: number | undefined;
}

/** ExportLogsServiceRequest / LogsData: the unit that flows through a pipeline. */
export interface Logs {
  resourceLogs: ResourceLogs[];
  /** Who sent the request, set by receivers (client-info.ts); absent on records made in-process. */
  client?: ClientInfo;
}

/** OTLP SeverityNumber values used by name in code. */
export const SeverityNumber = {
  UNSPECIFIED: 0,
  TRACE: 1,
  DEBUG: 5,
  INFO: 9,
  WARN: 13,
  ERROR: 17,
  FATAL: 21,
} as const;

const EMPTY = new Uint8Array(0);

/** A LogRecord with every field at its proto3 default; override what you set. */
export function newLogRecord(fields: Partial<LogRecord> = {}): LogRecord {
  return {
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
    ...fields,
  };
}

export function countLogRecords(logs: Logs): number {
  // A request nothing has read yet is counted from its wire walk: counting must not decode it.
  const walked = (logs as Partial<WalkedLogs>)[WALKED_RECORD_COUNT];
  if (walked !== undefined) return walked;
  let n = 0;
  for (const rl of logs.resourceLogs) for (const sl of rl.scopeLogs) n += sl.logRecords.length;
  return n;
}

/** Deep copy (bigint and Uint8Array included) for a consumer that will mutate. */
export function cloneLogs(logs: Logs): Logs {
  return structuredClone(logs);
}
