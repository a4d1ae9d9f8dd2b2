import type { LogRecord, ResourceLogs, ScopeLogs } from '../pdata/model.js';
import { anyValueToPlainJson, keyValuesToPlainJson } from '../pdata/values.js';

/**
 * One log record as the live tail shows it: flat, readable JSON (what `jq` and the status page
 * want), not OTLP/JSON. Built synchronously while the record passes the tap, because processors
 * downstream may change the record in place afterwards (docs/architecture.md §3).
 */
export interface TailRecord {
  /** ISO 8601, or null when the record carries no time. */
  time: string | null;
  observed_time: string | null;
  severity_number: number;
  severity_text: string;
  body: unknown;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
  scope: { name: string; version: string } | null;
  event_name?: string;
  trace_id?: string;
  span_id?: string;
}

export function toTailRecord(rl: ResourceLogs, sl: ScopeLogs, r: LogRecord): TailRecord {
  const out: TailRecord = {
    time: isoTime(r.timeUnixNano),
    observed_time: isoTime(r.observedTimeUnixNano),
    severity_number: r.severityNumber,
    severity_text: r.severityText,
    body: anyValueToPlainJson(r.body),
    attributes: keyValuesToPlainJson(r.attributes),
    resource: rl.resource ? keyValuesToPlainJson(rl.resource.attributes) : {},
    scope: sl.scope ? { name: sl.scope.name, version: sl.scope.version } : null,
  };
  if (r.eventName !== '') out.event_name = r.eventName;
  if (r.traceId.length > 0) out.trace_id = Buffer.from(r.traceId).toString('hex');
  if (r.spanId.length > 0) out.span_id = Buffer.from(r.spanId).toString('hex');
  return out;
}

function isoTime(unixNano: bigint): string | null {
  if (unixNano === 0n) return null;
  const ms = Number(unixNano / 1_000_000n);
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}
