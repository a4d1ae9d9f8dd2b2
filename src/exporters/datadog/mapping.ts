import type { KeyValue, ResourceLogs } from '../../pdata/model.js';
import { anyValueToPlainJson, anyValueToString, getAttr } from '../../pdata/values.js';
import type { RecordRef } from '../helper/split.js';

/**
 * One OTLP log record → one Datadog Logs API v2 entry (an object of the JSON array), following the
 * Collector datadog exporter's conventions: reserved fields (`message`, `status`, `service`,
 * `hostname`, `ddsource`, `ddtags`, `timestamp`), every resource and record attribute as a
 * top-level key (nested maps flattened with dots), and trace context both the Datadog way
 * (`dd.trace_id`: decimal of the low 64 bits) and the OpenTelemetry way (`otel.trace_id`: hex).
 *
 * Precedence, lowest first: resource attributes, record attributes, reserved and `otel.*` fields.
 */

export type DatadogEntry = Record<string, unknown>;

export interface MappingOptions {
  /** `ddsource` of every entry. */
  source: string;
  /** Used when the resource has no `host.name`. */
  hostname?: string;
  /** Config tags, `key:value`. */
  tags: readonly string[];
}

/** Datadog status names for the six OTLP severity ranges (1–4, 5–8, … 21–24). */
const STATUS_BY_RANGE = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
const MAX_SEVERITY = 24;

export function statusFromSeverity(severityNumber: number, severityText: string): string | undefined {
  if (severityNumber >= 1 && severityNumber <= MAX_SEVERITY) return STATUS_BY_RANGE[(severityNumber - 1) >> 2];
  return severityText ? severityText.toLowerCase() : undefined;
}

/** Resource attributes that become Datadog unified-service tags. */
const TAG_SOURCES: ReadonlyArray<[tag: string, attributes: string[]]> = [
  ['env', ['deployment.environment.name', 'deployment.environment']],
  ['version', ['service.version']],
];

export interface ResourceFields {
  attributes: Record<string, unknown>;
  service?: string;
  hostname?: string;
  ddtags?: string;
}

/** Per resource, computed once however many records it holds. */
const resourceCache = new WeakMap<ResourceLogs, Map<MappingOptions, ResourceFields>>();

export function resourceFields(rl: ResourceLogs, options: MappingOptions): ResourceFields {
  let byOptions = resourceCache.get(rl);
  if (!byOptions) resourceCache.set(rl, (byOptions = new Map()));
  const cached = byOptions.get(options);
  if (cached) return cached;
  const attrs = rl.resource?.attributes ?? [];
  const attributes: Record<string, unknown> = {};
  flattenInto(attributes, '', attrs);
  const tags = [...options.tags];
  for (const [tag, keys] of TAG_SOURCES) {
    const value = keys.map((k) => getAttr(attrs, k)).find((v) => v !== undefined);
    if (value !== undefined) tags.push(`${tag}:${anyValueToString(value)}`);
  }
  const service = getAttr(attrs, 'service.name');
  const host = getAttr(attrs, 'host.name');
  const fields: ResourceFields = {
    attributes,
    service: service ? anyValueToString(service) : undefined,
    hostname: host ? anyValueToString(host) : options.hostname,
    ddtags: tags.length > 0 ? tags.join(',') : undefined,
  };
  byOptions.set(options, fields);
  return fields;
}

export function toDatadogEntry(ref: RecordRef, options: MappingOptions): DatadogEntry {
  const { record } = ref;
  const res = resourceFields(ref.resourceLogs, options);
  const entry: DatadogEntry = { ...res.attributes };
  flattenInto(entry, '', record.attributes);

  entry.message = record.body === undefined ? '' : anyValueToString(record.body);
  const status = statusFromSeverity(record.severityNumber, record.severityText);
  if (status !== undefined) entry.status = status;
  const timeNanos = record.timeUnixNano || record.observedTimeUnixNano;
  if (timeNanos > 0n) {
    entry.timestamp = Number(timeNanos / 1_000_000n);
    entry['otel.timestamp'] = timeNanos.toString();
  }
  if (res.hostname !== undefined) entry.hostname = res.hostname;
  if (res.service !== undefined) entry.service = res.service;
  entry.ddsource = options.source;
  if (res.ddtags !== undefined) entry.ddtags = res.ddtags;
  entry['otel.severity_number'] = String(record.severityNumber);
  if (record.severityText) entry['otel.severity_text'] = record.severityText;
  if (isSet(record.traceId)) {
    entry['otel.trace_id'] = hex(record.traceId);
    entry['dd.trace_id'] = lowUint64Decimal(record.traceId);
  }
  if (isSet(record.spanId)) {
    entry['otel.span_id'] = hex(record.spanId);
    entry['dd.span_id'] = lowUint64Decimal(record.spanId);
  }
  return entry;
}

/** Nested maps become dotted keys (`http.request.method`); arrays and scalars stay values. */
function flattenInto(out: Record<string, unknown>, prefix: string, attrs: readonly KeyValue[]): void {
  for (const kv of attrs) {
    const key = prefix ? `${prefix}.${kv.key}` : kv.key;
    if (kv.value?.kvlistValue) flattenInto(out, key, kv.value.kvlistValue.values);
    else out[key] = anyValueToPlainJson(kv.value);
  }
}

function isSet(id: Uint8Array): boolean {
  return id.length > 0 && id.some((b) => b !== 0);
}

function hex(id: Uint8Array): string {
  return Buffer.from(id).toString('hex');
}

/** Datadog ids are unsigned 64-bit decimals: the last 8 bytes of a 16-byte trace id, or a span id. */
function lowUint64Decimal(id: Uint8Array): string {
  const buf = Buffer.from(id.buffer, id.byteOffset, id.byteLength);
  if (buf.length < 8) return BigInt(`0x${buf.toString('hex') || '0'}`).toString();
  return buf.readBigUInt64BE(buf.length - 8).toString();
}
