/**
 * The OTLP trace and metrics messages as tables (field number, JSON name, wire type), from
 * proto/opentelemetry/proto/{trace,metrics}/v1 and common/resource. Traces and metrics pass
 * through the gateway as the bytes they arrived in (docs/architecture.md §3); these tables are
 * what the few places that must read or write them use: OTLP/JSON in (the receiver turns it into
 * protobuf for the queue), OTLP/JSON out (`otlphttp` with `encoding: json`, the `file` exporter),
 * and the `debug` exporter. One generic codec (schema-codec.ts) walks them.
 */

export type FieldType =
  | 'string'
  | 'bytes'
  /** bytes written as lowercase hex in OTLP/JSON: trace and span ids (OTLP spec, "JSON Protobuf Encoding"). */
  | 'hex'
  | 'bool'
  | 'uint32'
  | 'int32'
  | 'sint32'
  | 'enum'
  | 'int64'
  | 'uint64'
  | 'fixed32'
  | 'fixed64'
  | 'sfixed64'
  | 'double'
  | 'message';

export interface FieldDef {
  readonly n: number;
  /** lowerCamelCase, as OTLP/JSON names it. */
  readonly name: string;
  readonly t: FieldType;
  readonly repeated?: boolean;
  /**
   * A oneof member or a proto3 `optional`: present even when zero, so `asDouble: 0` or
   * `sum: 0` survives a round trip.
   */
  readonly presence?: boolean;
  readonly msg?: () => MessageDef;
}

export interface MessageDef {
  readonly name: string;
  readonly fields: readonly FieldDef[];
}

const f = (n: number, name: string, t: FieldType, extra: Partial<FieldDef> = {}): FieldDef => ({ n, name, t, ...extra });
const m = (n: number, name: string, msg: () => MessageDef, repeated = false): FieldDef => ({ n, name, t: 'message', msg, repeated });
const def = (name: string, fields: FieldDef[]): MessageDef => ({ name, fields });

// ---- common, resource ----
export const AnyValue: MessageDef = def('AnyValue', [
  f(1, 'stringValue', 'string', { presence: true }),
  f(2, 'boolValue', 'bool', { presence: true }),
  f(3, 'intValue', 'int64', { presence: true }),
  f(4, 'doubleValue', 'double', { presence: true }),
  m(5, 'arrayValue', () => ArrayValue),
  m(6, 'kvlistValue', () => KeyValueList),
  f(7, 'bytesValue', 'bytes', { presence: true }),
]);
const ArrayValue: MessageDef = def('ArrayValue', [m(1, 'values', () => AnyValue, true)]);
const KeyValueList: MessageDef = def('KeyValueList', [m(1, 'values', () => KeyValue, true)]);
export const KeyValue: MessageDef = def('KeyValue', [f(1, 'key', 'string'), m(2, 'value', () => AnyValue)]);
const attributes = (n: number, name = 'attributes') => m(n, name, () => KeyValue, true);
const InstrumentationScope = def('InstrumentationScope', [f(1, 'name', 'string'), f(2, 'version', 'string'), attributes(3), f(4, 'droppedAttributesCount', 'uint32')]);
const EntityRef = def('EntityRef', [f(1, 'schemaUrl', 'string'), f(2, 'type', 'string'), f(3, 'idKeys', 'string', { repeated: true }), f(4, 'descriptionKeys', 'string', { repeated: true })]);
const Resource = def('Resource', [attributes(1), f(2, 'droppedAttributesCount', 'uint32'), m(3, 'entityRefs', () => EntityRef, true)]);

// ---- trace ----
const SpanEvent = def('Span.Event', [f(1, 'timeUnixNano', 'fixed64'), f(2, 'name', 'string'), attributes(3), f(4, 'droppedAttributesCount', 'uint32')]);
const SpanLink = def('Span.Link', [
  f(1, 'traceId', 'hex'),
  f(2, 'spanId', 'hex'),
  f(3, 'traceState', 'string'),
  attributes(4),
  f(5, 'droppedAttributesCount', 'uint32'),
  f(6, 'flags', 'fixed32'),
]);
const SpanStatus = def('Status', [f(2, 'message', 'string'), f(3, 'code', 'enum')]);
export const Span: MessageDef = def('Span', [
  f(1, 'traceId', 'hex'),
  f(2, 'spanId', 'hex'),
  f(3, 'traceState', 'string'),
  f(4, 'parentSpanId', 'hex'),
  f(16, 'flags', 'fixed32'),
  f(5, 'name', 'string'),
  f(6, 'kind', 'enum'),
  f(7, 'startTimeUnixNano', 'fixed64'),
  f(8, 'endTimeUnixNano', 'fixed64'),
  attributes(9),
  f(10, 'droppedAttributesCount', 'uint32'),
  m(11, 'events', () => SpanEvent, true),
  f(12, 'droppedEventsCount', 'uint32'),
  m(13, 'links', () => SpanLink, true),
  f(14, 'droppedLinksCount', 'uint32'),
  m(15, 'status', () => SpanStatus),
]);
const ScopeSpans = def('ScopeSpans', [m(1, 'scope', () => InstrumentationScope), m(2, 'spans', () => Span, true), f(3, 'schemaUrl', 'string')]);
const ResourceSpans = def('ResourceSpans', [m(1, 'resource', () => Resource), m(2, 'scopeSpans', () => ScopeSpans, true), f(3, 'schemaUrl', 'string')]);
export const ExportTraceServiceRequest: MessageDef = def('ExportTraceServiceRequest', [m(1, 'resourceSpans', () => ResourceSpans, true)]);

// ---- metrics ----
const Exemplar = def('Exemplar', [
  attributes(7, 'filteredAttributes'),
  f(2, 'timeUnixNano', 'fixed64'),
  f(3, 'asDouble', 'double', { presence: true }),
  f(6, 'asInt', 'sfixed64', { presence: true }),
  f(4, 'spanId', 'hex'),
  f(5, 'traceId', 'hex'),
]);
const exemplars = (n: number) => m(n, 'exemplars', () => Exemplar, true);
const NumberDataPoint = def('NumberDataPoint', [
  attributes(7),
  f(2, 'startTimeUnixNano', 'fixed64'),
  f(3, 'timeUnixNano', 'fixed64'),
  f(4, 'asDouble', 'double', { presence: true }),
  f(6, 'asInt', 'sfixed64', { presence: true }),
  exemplars(5),
  f(8, 'flags', 'uint32'),
]);
const HistogramDataPoint = def('HistogramDataPoint', [
  attributes(9),
  f(2, 'startTimeUnixNano', 'fixed64'),
  f(3, 'timeUnixNano', 'fixed64'),
  f(4, 'count', 'fixed64'),
  f(5, 'sum', 'double', { presence: true }),
  f(6, 'bucketCounts', 'fixed64', { repeated: true }),
  f(7, 'explicitBounds', 'double', { repeated: true }),
  exemplars(8),
  f(10, 'flags', 'uint32'),
  f(11, 'min', 'double', { presence: true }),
  f(12, 'max', 'double', { presence: true }),
]);
const Buckets = def('ExponentialHistogramDataPoint.Buckets', [f(1, 'offset', 'sint32'), f(2, 'bucketCounts', 'uint64', { repeated: true })]);
const ExponentialHistogramDataPoint = def('ExponentialHistogramDataPoint', [
  attributes(1),
  f(2, 'startTimeUnixNano', 'fixed64'),
  f(3, 'timeUnixNano', 'fixed64'),
  f(4, 'count', 'fixed64'),
  f(5, 'sum', 'double', { presence: true }),
  f(6, 'scale', 'sint32'),
  f(7, 'zeroCount', 'fixed64'),
  m(8, 'positive', () => Buckets),
  m(9, 'negative', () => Buckets),
  f(10, 'flags', 'uint32'),
  exemplars(11),
  f(12, 'min', 'double', { presence: true }),
  f(13, 'max', 'double', { presence: true }),
  f(14, 'zeroThreshold', 'double'),
]);
const ValueAtQuantile = def('SummaryDataPoint.ValueAtQuantile', [f(1, 'quantile', 'double'), f(2, 'value', 'double')]);
const SummaryDataPoint = def('SummaryDataPoint', [
  attributes(7),
  f(2, 'startTimeUnixNano', 'fixed64'),
  f(3, 'timeUnixNano', 'fixed64'),
  f(4, 'count', 'fixed64'),
  f(5, 'sum', 'double'),
  m(6, 'quantileValues', () => ValueAtQuantile, true),
  f(8, 'flags', 'uint32'),
]);
const points = (msg: () => MessageDef) => m(1, 'dataPoints', msg, true);
const temporality = f(2, 'aggregationTemporality', 'enum');
const Gauge = def('Gauge', [points(() => NumberDataPoint)]);
const Sum = def('Sum', [points(() => NumberDataPoint), temporality, f(3, 'isMonotonic', 'bool')]);
const Histogram = def('Histogram', [points(() => HistogramDataPoint), temporality]);
const ExponentialHistogram = def('ExponentialHistogram', [points(() => ExponentialHistogramDataPoint), temporality]);
const Summary = def('Summary', [points(() => SummaryDataPoint)]);
export const Metric: MessageDef = def('Metric', [
  f(1, 'name', 'string'),
  f(2, 'description', 'string'),
  f(3, 'unit', 'string'),
  m(5, 'gauge', () => Gauge),
  m(7, 'sum', () => Sum),
  m(9, 'histogram', () => Histogram),
  m(10, 'exponentialHistogram', () => ExponentialHistogram),
  m(11, 'summary', () => Summary),
  attributes(12, 'metadata'),
]);
const ScopeMetrics = def('ScopeMetrics', [m(1, 'scope', () => InstrumentationScope), m(2, 'metrics', () => Metric, true), f(3, 'schemaUrl', 'string')]);
const ResourceMetrics = def('ResourceMetrics', [m(1, 'resource', () => Resource), m(2, 'scopeMetrics', () => ScopeMetrics, true), f(3, 'schemaUrl', 'string')]);
export const ExportMetricsServiceRequest: MessageDef = def('ExportMetricsServiceRequest', [m(1, 'resourceMetrics', () => ResourceMetrics, true)]);

/** The Metric fields that hold data points (gauge, sum, histogram, exponential_histogram, summary). */
export const METRIC_DATA_FIELDS: ReadonlySet<number> = new Set([5, 7, 9, 10, 11]);
