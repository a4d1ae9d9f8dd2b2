import type { LogRecord, Resource } from '../../pdata/model.js';
import { anyValueToPlainJson, anyValueToString, getAttr, keyValuesToPlainJson } from '../../pdata/values.js';

/**
 * OTel log record → Cloud Logging LogEntry (REST JSON). The contract is docs/googlecloud.md; the
 * choices it leaves open are documented in docs/googlecloud.md.
 */

export interface MonitoredResource {
  type: string;
  labels: Record<string, string>;
}

/** The LogEntry fields we set; the payload is exactly one of textPayload / jsonPayload. */
export interface LogEntry {
  logName?: string;
  resource?: MonitoredResource;
  timestamp?: string;
  severity: string;
  insertId?: string;
  labels?: Record<string, string>;
  trace?: string;
  spanId?: string;
  traceSampled?: boolean;
  textPayload?: string;
  jsonPayload?: Record<string, unknown>;
  split?: { uid: string; index: number; totalSplits: number };
}

/** OTel severity number (1–24) → Cloud Logging LogSeverity. */
export function gcpSeverity(n: number): string {
  if (n <= 0 || n > 24 || !Number.isInteger(n)) return 'DEFAULT';
  if (n <= 8) return 'DEBUG';
  if (n <= 10) return 'INFO';
  if (n <= 12) return 'NOTICE';
  if (n <= 16) return 'WARNING';
  if (n <= 20) return 'ERROR';
  if (n <= 22) return 'CRITICAL';
  if (n === 23) return 'ALERT';
  return 'EMERGENCY';
}

const NANOS_PER_SECOND = 1_000_000_000n;

/** Unix nanoseconds → RFC 3339 with nine fractional digits (`2026-01-02T03:04:05.123456789Z`). */
export function rfc3339Nanos(unixNano: bigint): string {
  const seconds = unixNano / NANOS_PER_SECOND;
  const nanos = unixNano % NANOS_PER_SECOND;
  const iso = new Date(Number(seconds) * 1000).toISOString(); // …T03:04:05.000Z
  return `${iso.slice(0, 19)}.${nanos.toString().padStart(9, '0')}Z`;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const isSet = (b: Uint8Array) => b.length > 0 && b.some((x) => x !== 0);

/**
 * OTel resource → `generic_node` (the Collector's fallback for resources outside Google Cloud
 * platforms): location from cloud.availability_zone / cloud.region, namespace from
 * service.namespace, node_id from host.id / host.name.
 */
export function monitoredResource(resource: Resource | undefined): MonitoredResource {
  const attrs = resource?.attributes ?? [];
  const str = (...keys: string[]) => {
    for (const k of keys) {
      const v = getAttr(attrs, k);
      if (v) return anyValueToString(v);
    }
    return '';
  };
  return {
    type: 'generic_node',
    labels: {
      location: str('cloud.availability_zone', 'cloud.region') || 'global',
      namespace: str('service.namespace'),
      node_id: str('host.id', 'host.name'),
    },
  };
}

/** The entry for one record, without logName (set once per request) and insertId (set by the caller). */
export function toLogEntry(record: LogRecord, resource: MonitoredResource, project: string): LogEntry {
  const entry: LogEntry = { resource, severity: gcpSeverity(record.severityNumber) };
  const time = record.timeUnixNano || record.observedTimeUnixNano;
  if (time > 0n) entry.timestamp = rfc3339Nanos(time);
  if (record.attributes.length > 0) {
    const labels: Record<string, string> = {};
    for (const kv of record.attributes) labels[kv.key] = anyValueToString(kv.value);
    entry.labels = labels;
  }
  if (isSet(record.traceId)) entry.trace = `projects/${project}/traces/${hex(record.traceId)}`;
  if (isSet(record.spanId)) entry.spanId = hex(record.spanId);
  if (record.flags & 0x01) entry.traceSampled = true;
  const body = record.body;
  if (body?.kvlistValue) entry.jsonPayload = keyValuesToPlainJson(body.kvlistValue.values);
  else if (body && anyValueToPlainJson(body) !== null) entry.textPayload = anyValueToString(body);
  return entry;
}

/** `projects/P/logs/<url-encoded log id>` (slashes in the id become %2F, as the API requires). */
export function logNameFor(project: string, logId: string): string {
  return `projects/${project}/logs/${encodeURIComponent(logId)}`;
}
