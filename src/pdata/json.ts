import { PermanentError } from '../errors.js';
import type { InstrumentationScope, LogRecord, Logs, Resource, ResourceLogs, ScopeLogs } from './model.js';
import type { ExportResponse, ExportResponseInit } from './proto.js';
import {
  anyValueFromJson,
  anyValueToJson,
  asArray,
  asInt32,
  asInt64,
  asObject,
  asString,
  asUint32,
  attributesFromJson,
  bad,
  field,
  hexToBytes,
  INT64_MAX,
  INT64_MIN,
  type Json,
  keyValueToJson,
  UINT64_MAX,
} from './json-values.js';

/**
 * OTLP/JSON (the OTLP spec's JSON Protobuf Encoding) for logs and the export response.
 * Encoding writes lowerCamelCase keys, 64-bit ints as decimal strings, ids as hex, bytes as base64,
 * severityNumber as an integer, and omits fields at their default. Decoding also accepts the
 * proto field names, numbers for 64-bit ints, and enum names; unknown keys are ignored.
 */

const EMPTY = new Uint8Array(0);

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

// ---- encode ----

function resourceToJson(r: Resource): Json {
  const o: Json = { attributes: r.attributes.map(keyValueToJson) };
  if (r.droppedAttributesCount) o.droppedAttributesCount = r.droppedAttributesCount;
  return o;
}

function scopeToJson(s: InstrumentationScope): Json {
  const o: Json = {};
  if (s.name) o.name = s.name;
  if (s.version) o.version = s.version;
  if (s.attributes.length) o.attributes = s.attributes.map(keyValueToJson);
  if (s.droppedAttributesCount) o.droppedAttributesCount = s.droppedAttributesCount;
  return o;
}

function logRecordToJson(lr: LogRecord): Json {
  const o: Json = {};
  if (lr.timeUnixNano) o.timeUnixNano = lr.timeUnixNano.toString();
  if (lr.observedTimeUnixNano) o.observedTimeUnixNano = lr.observedTimeUnixNano.toString();
  if (lr.severityNumber) o.severityNumber = lr.severityNumber;
  if (lr.severityText) o.severityText = lr.severityText;
  if (lr.body) o.body = anyValueToJson(lr.body);
  if (lr.attributes.length) o.attributes = lr.attributes.map(keyValueToJson);
  if (lr.droppedAttributesCount) o.droppedAttributesCount = lr.droppedAttributesCount;
  if (lr.flags) o.flags = lr.flags;
  if (lr.traceId.length) o.traceId = hex(lr.traceId);
  if (lr.spanId.length) o.spanId = hex(lr.spanId);
  if (lr.eventName) o.eventName = lr.eventName;
  return o;
}

function scopeLogsToJson(sl: ScopeLogs): Json {
  const o: Json = {};
  if (sl.scope) o.scope = scopeToJson(sl.scope);
  o.logRecords = sl.logRecords.map(logRecordToJson);
  if (sl.schemaUrl) o.schemaUrl = sl.schemaUrl;
  return o;
}

function resourceLogsToJson(rl: ResourceLogs): Json {
  const o: Json = {};
  if (rl.resource) o.resource = resourceToJson(rl.resource);
  o.scopeLogs = rl.scopeLogs.map(scopeLogsToJson);
  if (rl.schemaUrl) o.schemaUrl = rl.schemaUrl;
  return o;
}

/** Logs → ExportLogsServiceRequest in OTLP/JSON. */
export function logsToJson(logs: Logs): string {
  return JSON.stringify({ resourceLogs: logs.resourceLogs.map(resourceLogsToJson) });
}

// ---- decode ----

const SEVERITY_NAMES: Record<string, number> = Object.fromEntries(
  ['UNSPECIFIED', ...['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'].flatMap((l) => [l, `${l}2`, `${l}3`, `${l}4`])].map((name, i) => [
    `SEVERITY_NUMBER_${name}`,
    i,
  ]),
);

function severityFromJson(v: unknown, path: string): number {
  if (typeof v === 'string' && !/^-?\d+$/.test(v)) {
    const n = SEVERITY_NAMES[v];
    if (n === undefined) bad(path, 'a SeverityNumber (integer or SEVERITY_NUMBER_* name)', v);
    return n;
  }
  return asInt32(v, path);
}

function resourceFromJson(v: unknown, path: string): Resource {
  const o = asObject(v, path);
  return {
    attributes: attributesFromJson(field(o, 'attributes', 'attributes'), `${path}.attributes`),
    droppedAttributesCount: asUint32(field(o, 'droppedAttributesCount', 'dropped_attributes_count'), `${path}.droppedAttributesCount`),
  };
}

function scopeFromJson(v: unknown, path: string): InstrumentationScope {
  const o = asObject(v, path);
  return {
    name: asString(field(o, 'name', 'name'), `${path}.name`),
    version: asString(field(o, 'version', 'version'), `${path}.version`),
    attributes: attributesFromJson(field(o, 'attributes', 'attributes'), `${path}.attributes`),
    droppedAttributesCount: asUint32(field(o, 'droppedAttributesCount', 'dropped_attributes_count'), `${path}.droppedAttributesCount`),
  };
}

function logRecordFromJson(v: unknown, path: string): LogRecord {
  const o = asObject(v, path);
  const traceId = field(o, 'traceId', 'trace_id');
  const spanId = field(o, 'spanId', 'span_id');
  const lr: LogRecord = {
    timeUnixNano: asInt64(field(o, 'timeUnixNano', 'time_unix_nano'), `${path}.timeUnixNano`, 0n, UINT64_MAX),
    observedTimeUnixNano: asInt64(field(o, 'observedTimeUnixNano', 'observed_time_unix_nano'), `${path}.observedTimeUnixNano`, 0n, UINT64_MAX),
    severityNumber: severityFromJson(field(o, 'severityNumber', 'severity_number'), `${path}.severityNumber`),
    severityText: asString(field(o, 'severityText', 'severity_text'), `${path}.severityText`),
    attributes: attributesFromJson(field(o, 'attributes', 'attributes'), `${path}.attributes`),
    droppedAttributesCount: asUint32(field(o, 'droppedAttributesCount', 'dropped_attributes_count'), `${path}.droppedAttributesCount`),
    flags: asUint32(field(o, 'flags', 'flags'), `${path}.flags`),
    traceId: traceId === undefined ? EMPTY : hexToBytes(traceId, `${path}.traceId`),
    spanId: spanId === undefined ? EMPTY : hexToBytes(spanId, `${path}.spanId`),
    eventName: asString(field(o, 'eventName', 'event_name'), `${path}.eventName`),
  };
  const body = field(o, 'body', 'body');
  if (body !== undefined) lr.body = anyValueFromJson(body, `${path}.body`);
  return lr;
}

function scopeLogsFromJson(v: unknown, path: string): ScopeLogs {
  const o = asObject(v, path);
  const sl: ScopeLogs = {
    logRecords: asArray(field(o, 'logRecords', 'log_records'), `${path}.logRecords`).map((e, i) => logRecordFromJson(e, `${path}.logRecords[${i}]`)),
    schemaUrl: asString(field(o, 'schemaUrl', 'schema_url'), `${path}.schemaUrl`),
  };
  const scope = field(o, 'scope', 'scope');
  if (scope !== undefined) sl.scope = scopeFromJson(scope, `${path}.scope`);
  return sl;
}

function resourceLogsFromJson(v: unknown, path: string): ResourceLogs {
  const o = asObject(v, path);
  const rl: ResourceLogs = {
    scopeLogs: asArray(field(o, 'scopeLogs', 'scope_logs'), `${path}.scopeLogs`).map((e, i) => scopeLogsFromJson(e, `${path}.scopeLogs[${i}]`)),
    schemaUrl: asString(field(o, 'schemaUrl', 'schema_url'), `${path}.schemaUrl`),
  };
  const resource = field(o, 'resource', 'resource');
  if (resource !== undefined) rl.resource = resourceFromJson(resource, `${path}.resource`);
  return rl;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new PermanentError(`invalid OTLP/JSON: ${(err as Error).message}`, 'PAYLOAD_INVALID');
  }
}

/** OTLP/JSON ExportLogsServiceRequest → Logs. Bad JSON or wrong types throw PermanentError PAYLOAD_INVALID. */
export function logsFromJson(text: string): Logs {
  const o = asObject(parse(text), '$');
  const list = asArray(field(o, 'resourceLogs', 'resource_logs'), 'resourceLogs');
  return { resourceLogs: list.map((e, i) => resourceLogsFromJson(e, `resourceLogs[${i}]`)) };
}

// ---- export response ----

/** ExportLogsServiceResponse in OTLP/JSON; `{}` when everything was accepted. */
export function exportResponseToJson(init: ExportResponseInit = {}): string {
  const rejected = BigInt(init.rejectedLogRecords ?? 0);
  const message = init.errorMessage ?? '';
  if (rejected === 0n && !message) return '{}';
  const partialSuccess: Json = {};
  if (rejected !== 0n) partialSuccess.rejectedLogRecords = rejected.toString();
  if (message) partialSuccess.errorMessage = message;
  return JSON.stringify({ partialSuccess });
}

/**
 * The rejected-items field of each signal's PartialSuccess: `rejected_log_records`,
 * `rejected_spans`, `rejected_data_points` (all field 1, int64). Reading any of them lets one
 * parser serve the logs, traces and metrics responses; `rejectedLogRecords` then counts items.
 */
const REJECTED_FIELDS = [
  ['rejectedLogRecords', 'rejected_log_records'],
  ['rejectedSpans', 'rejected_spans'],
  ['rejectedDataPoints', 'rejected_data_points'],
] as const;

/** An empty body counts as a full success, as OTLP clients treat it. */
export function exportResponseFromJson(text: string): ExportResponse {
  if (text.trim() === '') return { rejectedLogRecords: 0n, errorMessage: '' };
  const o = asObject(parse(text), '$');
  const ps = field(o, 'partialSuccess', 'partial_success');
  if (ps === undefined) return { rejectedLogRecords: 0n, errorMessage: '' };
  const p = asObject(ps, 'partialSuccess');
  const rejectedKey = REJECTED_FIELDS.find(([camel, snake]) => field(p, camel, snake) !== undefined) ?? REJECTED_FIELDS[0];
  return {
    rejectedLogRecords: asInt64(field(p, rejectedKey[0], rejectedKey[1]), `partialSuccess.${rejectedKey[0]}`, INT64_MIN, INT64_MAX),
    errorMessage: asString(field(p, 'errorMessage', 'error_message'), 'partialSuccess.errorMessage'),
  };
}
