import type { KeyValue } from '../../pdata/model.js';
import { anyValueToPlainJson, anyValueToString, keyValuesToPlainJson } from '../../pdata/values.js';
import type { RecordRef } from '../helper/split.js';

/**
 * One OTLP log record → one CloudWatch Logs event `{timestamp, message}`, as the Collector contrib
 * exporter builds it: the message is a JSON wrapper of the record (`body`, `severity_number`,
 * `severity_text`, `dropped_attributes_count`, `flags`, `trace_id`, `span_id`, `attributes`,
 * `scope`, `resource`; empty fields left out), or with `raw_log` the body alone as a string. With
 * `raw_log`, an Embedded Metric Format body naming its own log group/stream (`_aws.LogGroupName`,
 * or the older `log_group_name`) goes there, as the contrib exporter does.
 */

/** PutLogEvents counts every event as its UTF-8 message plus this many bytes. */
export const EVENT_OVERHEAD_BYTES = 26;
/** CloudWatch's event size limit, overhead included. */
export const MAX_EVENT_BYTES = 256 * 1024;
/** Appended to a cut message; the contrib exporter's marker, so existing queries still find them. */
export const TRUNCATED_SUFFIX = '[Truncated...]';

export interface StreamKey {
  readonly group: string;
  readonly stream: string;
}

export interface CwEvent {
  readonly ref: RecordRef;
  /** Milliseconds since the epoch. */
  readonly timestamp: number;
  readonly message: string;
  /** UTF-8 bytes of `message` + EVENT_OVERHEAD_BYTES: what the request limit counts. */
  readonly bytes: number;
  readonly key: StreamKey;
  readonly truncated: boolean;
}

function jsonOf(attrs: readonly KeyValue[]): Record<string, unknown> | undefined {
  return attrs.length > 0 ? keyValuesToPlainJson([...attrs]) : undefined;
}

function hexOf(id: Uint8Array): string | undefined {
  return id.length > 0 && id.some((b) => b !== 0) ? Buffer.from(id).toString('hex') : undefined;
}

/** The contrib exporter's JSON wrapper. Keys with empty values are left out, as Go's omitempty does. */
export function wrapperMessage(ref: RecordRef): string {
  const { record, scopeLogs, resourceLogs } = ref;
  const body = record.body === undefined ? undefined : anyValueToPlainJson(record.body);
  const scope = scopeLogs.scope;
  const wrapper: Record<string, unknown> = {
    body: body === '' || body === null ? undefined : body,
    severity_number: record.severityNumber || undefined,
    severity_text: record.severityText || undefined,
    event_name: record.eventName || undefined,
    dropped_attributes_count: record.droppedAttributesCount || undefined,
    flags: record.flags || undefined,
    trace_id: hexOf(record.traceId),
    span_id: hexOf(record.spanId),
    attributes: jsonOf(record.attributes),
    scope: scope?.name ? { name: scope.name, version: scope.version || undefined, attributes: jsonOf(scope.attributes) } : undefined,
    resource: jsonOf(resourceLogs.resource?.attributes ?? []),
  };
  return JSON.stringify(wrapper);
}

/** The EMF destination a raw body names, if it is EMF JSON that names one. */
export function emfStreamKey(body: string, fallback: StreamKey): StreamKey {
  if (!body.startsWith('{')) return fallback;
  let parsed: { _aws?: { LogGroupName?: unknown; LogStreamName?: unknown }; log_group_name?: unknown; log_stream_name?: unknown };
  try {
    parsed = JSON.parse(body);
  } catch {
    return fallback;
  }
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const v1 = parsed?._aws;
  if (v1 && str(v1.LogGroupName)) return { group: str(v1.LogGroupName)!, stream: str(v1.LogStreamName) ?? fallback.stream };
  if (str(parsed?.log_group_name)) return { group: str(parsed.log_group_name)!, stream: str(parsed.log_stream_name) ?? fallback.stream };
  return fallback;
}

/**
 * Cut `message` so message + overhead fits MAX_EVENT_BYTES, as the contrib exporter does, but
 * on a character boundary (a cut inside a UTF-8 sequence would make CloudWatch refuse the event).
 */
export function truncateMessage(message: string): { message: string; truncated: boolean } {
  const bytes = Buffer.byteLength(message);
  if (bytes + EVENT_OVERHEAD_BYTES <= MAX_EVENT_BYTES) return { message, truncated: false };
  const keep = MAX_EVENT_BYTES - EVENT_OVERHEAD_BYTES - Buffer.byteLength(TRUNCATED_SUFFIX);
  const prefix = Buffer.from(message, 'utf8').subarray(0, keep).toString('utf8').replace(/\uFFFD$/, '');
  return { message: prefix + TRUNCATED_SUFFIX, truncated: true };
}

/** The event time: the record's, else when it was observed, else now (the contrib exporter's fallback). */
export function eventTimestampMs(ref: RecordRef, nowMs: number): number {
  const nanos = ref.record.timeUnixNano || ref.record.observedTimeUnixNano;
  return nanos > 0n ? Number(nanos / 1_000_000n) : nowMs;
}

export function toEvent(ref: RecordRef, options: { rawLog: boolean; key: StreamKey; nowMs: number }): CwEvent {
  let key = options.key;
  let text: string;
  if (options.rawLog) {
    text = anyValueToString(ref.record.body);
    key = emfStreamKey(text, key);
  } else text = wrapperMessage(ref);
  const { message, truncated } = truncateMessage(text);
  return { ref, timestamp: eventTimestampMs(ref, options.nowMs), message, bytes: Buffer.byteLength(message) + EVENT_OVERHEAD_BYTES, key, truncated };
}
