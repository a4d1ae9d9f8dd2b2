import type { AnyValue, KeyValue } from '../../pdata/model.js';
import { anyValueToPlainJson, keyValuesToPlainJson } from '../../pdata/values.js';
import type { RecordRef } from '../helper/split.js';
import type { MappingMode } from './config.js';

/**
 * One OTLP log record → one Elasticsearch document, per the Collector's `mapping.mode`
 * (docs/elasticsearch.md has the field tables). Attributes the exporter consumes for routing
 * (`elasticsearch.document_id`, `elasticsearch.index`, `elasticsearch.ingest_pipeline`) never
 * reach the document.
 */

export type Document = Record<string, unknown>;

/** Attributes read for routing and left out of documents, as the Collector does. */
export const ROUTING_ATTRIBUTES = new Set(['elasticsearch.document_id', 'elasticsearch.index', 'elasticsearch.ingest_pipeline']);
const DATA_STREAM_ATTRIBUTES = new Set(['data_stream.type', 'data_stream.dataset', 'data_stream.namespace']);

/** A record that cannot be a document in this mode (e.g. bodymap with a string body). */
export class UnmappableRecord extends Error {}

export function toDocument(ref: RecordRef, mode: MappingMode, dataStream?: DataStream): Document {
  switch (mode) {
    case 'otel':
      return otelDocument(ref, dataStream);
    case 'ecs':
      return ecsDocument(ref);
    case 'bodymap':
      return bodymapDocument(ref);
    case 'raw':
      return legacyDocument(ref, false);
    case 'none':
      return legacyDocument(ref, true);
  }
}

export interface DataStream {
  type: string;
  dataset: string;
  namespace: string;
}

/** Latest instant a JS Date (and ES `date`) holds: 8.64e15 ms after the epoch. */
const MAX_DATE_MS = 8_640_000_000_000_000n;

/** Nanoseconds → RFC 3339 with nanosecond precision (ES `date_nanos` keeps all nine digits). */
export function isoNanos(nanos: bigint): string {
  const ms = nanos / 1_000_000n;
  if (ms > MAX_DATE_MS || ms < 0n) throw new UnmappableRecord(`timestamp ${nanos} ns is out of range for Elasticsearch`);
  const iso = new Date(Number(ms)).toISOString(); // …T12:00:00.123Z
  const fraction = (nanos % 1_000_000_000n).toString().padStart(9, '0');
  return `${iso.slice(0, 19)}.${fraction}Z`;
}

function timestampOf(ref: RecordRef): string {
  const { record } = ref;
  return isoNanos(record.timeUnixNano || record.observedTimeUnixNano);
}

const hex = (id: Uint8Array) => (id.length > 0 && id.some((b) => b !== 0) ? Buffer.from(id).toString('hex') : undefined);

/** Attributes as a flat object with their dotted keys kept (ES `passthrough` objects in otel mode). */
function attributes(kvs: readonly KeyValue[], skip: Set<string>): Record<string, unknown> {
  return keyValuesToPlainJson(kvs.filter((kv) => !skip.has(kv.key) && !ROUTING_ATTRIBUTES.has(kv.key)));
}

function setIf(doc: Document, key: string, value: unknown): void {
  if (value !== undefined && value !== '' && !(typeof value === 'object' && value !== null && Object.keys(value).length === 0)) doc[key] = value;
}

function otelBody(body: AnyValue | undefined): Record<string, unknown> | undefined {
  if (!body) return undefined;
  if (body.kvlistValue || body.arrayValue) return { structured: anyValueToPlainJson(body) };
  return { text: String(anyValueToPlainJson(body)) };
}

function otelDocument(ref: RecordRef, dataStream?: DataStream): Document {
  const { record, scopeLogs, resourceLogs } = ref;
  const doc: Document = { '@timestamp': timestampOf(ref) };
  if (record.observedTimeUnixNano > 0n) doc.observed_timestamp = isoNanos(record.observedTimeUnixNano);
  if (dataStream) doc.data_stream = { ...dataStream };
  setIf(doc, 'severity_text', record.severityText);
  if (record.severityNumber > 0) doc.severity_number = record.severityNumber;
  setIf(doc, 'event_name', record.eventName);
  setIf(doc, 'trace_id', hex(record.traceId));
  setIf(doc, 'span_id', hex(record.spanId));
  setIf(doc, 'body', otelBody(record.body));
  setIf(doc, 'attributes', attributes(record.attributes, DATA_STREAM_ATTRIBUTES));
  if (record.droppedAttributesCount > 0) doc.dropped_attributes_count = record.droppedAttributesCount;
  const resource: Document = {};
  setIf(resource, 'attributes', attributes(resourceLogs.resource?.attributes ?? [], DATA_STREAM_ATTRIBUTES));
  setIf(doc, 'resource', resource);
  const scope: Document = {};
  setIf(scope, 'name', scopeLogs.scope?.name);
  setIf(scope, 'version', scopeLogs.scope?.version);
  setIf(scope, 'attributes', attributes(scopeLogs.scope?.attributes ?? [], DATA_STREAM_ATTRIBUTES));
  setIf(doc, 'scope', scope);
  return doc;
}

/** OTel resource attributes → ECS fields (the Collector's ECS mode table, the common part). */
const ECS_RESOURCE_FIELDS: Record<string, string> = {
  'service.name': 'service.name',
  'service.version': 'service.version',
  'service.instance.id': 'service.node.name',
  'deployment.environment': 'service.environment',
  'deployment.environment.name': 'service.environment',
  'host.name': 'host.hostname',
  'host.arch': 'host.architecture',
  'host.id': 'host.id',
  'os.type': 'host.os.platform',
  'os.description': 'host.os.full',
  'process.pid': 'process.pid',
  'process.executable.path': 'process.executable',
  'telemetry.sdk.name': 'agent.name',
  'telemetry.sdk.version': 'agent.version',
};

function ecsDocument(ref: RecordRef): Document {
  const { record, resourceLogs } = ref;
  const doc: Document = { '@timestamp': timestampOf(ref) };
  for (const [key, value] of Object.entries(attributes(resourceLogs.resource?.attributes ?? [], new Set()))) doc[ECS_RESOURCE_FIELDS[key] ?? key] = value;
  Object.assign(doc, attributes(record.attributes, new Set()));
  if (record.body) doc.message = typeof anyValueToPlainJson(record.body) === 'string' ? anyValueToPlainJson(record.body) : JSON.stringify(anyValueToPlainJson(record.body));
  setIf(doc, 'log.level', record.severityText);
  if (record.severityNumber > 0) doc['event.severity'] = record.severityNumber;
  setIf(doc, 'trace.id', hex(record.traceId));
  setIf(doc, 'span.id', hex(record.spanId));
  setIf(doc, 'event.action', record.eventName);
  doc['agent.name'] ??= 'otlp';
  return doc;
}

function bodymapDocument(ref: RecordRef): Document {
  const body = ref.record.body;
  if (!body?.kvlistValue) throw new UnmappableRecord('mapping.mode bodymap needs a map body; this record has none');
  return keyValuesToPlainJson(body.kvlistValue.values);
}

/** `none` (Collector field names, `Attributes.`-prefixed) and `raw` (attributes at the top level). */
function legacyDocument(ref: RecordRef, prefixed: boolean): Document {
  const { record, scopeLogs, resourceLogs } = ref;
  const doc: Document = { '@timestamp': timestampOf(ref) };
  if (record.body) doc.Body = anyValueToPlainJson(record.body);
  if (record.severityNumber > 0) doc.SeverityNumber = record.severityNumber;
  setIf(doc, 'SeverityText', record.severityText);
  setIf(doc, 'TraceId', hex(record.traceId));
  setIf(doc, 'SpanId', hex(record.spanId));
  if (record.flags) doc.TraceFlags = record.flags;
  for (const [key, value] of Object.entries(attributes(record.attributes, new Set()))) doc[prefixed ? `Attributes.${key}` : key] = value;
  for (const [key, value] of Object.entries(attributes(resourceLogs.resource?.attributes ?? [], new Set()))) doc[`Resource.${key}`] = value;
  setIf(doc, 'Scope.name', scopeLogs.scope?.name);
  setIf(doc, 'Scope.version', scopeLogs.scope?.version);
  return doc;
}
