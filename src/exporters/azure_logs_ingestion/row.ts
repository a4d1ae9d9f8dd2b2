import type { AnyValue, LogRecord } from '../../pdata/model.js';
import { anyValueToPlainJson, keyValuesToPlainJson } from '../../pdata/values.js';
import type { RecordRef } from '../helper/split.js';

/**
 * One OTel log record → one row of the DCR stream . Column names follow the
 * OTel data model in PascalCase, as Azure tables do; docs/azure.md lists the stream declaration
 * these rows fit.
 */
export interface IngestionRow {
  TimeGenerated: string;
  ObservedTimestamp: string;
  SeverityText: string;
  SeverityNumber: number;
  /** A string, or an object for map bodies (declare the column `dynamic`). */
  Body: unknown;
  TraceId: string;
  SpanId: string;
  Attributes: Record<string, unknown>;
  Resource: Record<string, unknown>;
  EventName: string;
  ScopeName: string;
}

const NANOS_PER_SECOND = 1_000_000_000n;
/** Azure datetime columns keep 100 ns ticks: seven fractional digits is the most that survives. */
const AZURE_FRACTION_DIGITS = 7;

/** Unix nanoseconds → ISO 8601 with 100 ns precision (`2026-01-02T03:04:05.1234567Z`). */
export function isoTicks(unixNano: bigint): string {
  const seconds = unixNano / NANOS_PER_SECOND;
  const fraction = (unixNano % NANOS_PER_SECOND).toString().padStart(9, '0').slice(0, AZURE_FRACTION_DIGITS);
  return `${new Date(Number(seconds) * 1000).toISOString().slice(0, 19)}.${fraction}Z`;
}

export function toIngestionRow(ref: RecordRef, nowNano: bigint): IngestionRow {
  const r: LogRecord = ref.record;
  const observed = r.observedTimeUnixNano || r.timeUnixNano || nowNano;
  return {
    TimeGenerated: isoTicks(r.timeUnixNano || observed),
    ObservedTimestamp: isoTicks(observed),
    SeverityText: r.severityText,
    SeverityNumber: r.severityNumber,
    Body: bodyValue(r.body),
    TraceId: hexId(r.traceId),
    SpanId: hexId(r.spanId),
    Attributes: keyValuesToPlainJson(r.attributes),
    Resource: keyValuesToPlainJson(ref.resourceLogs.resource?.attributes ?? []),
    EventName: r.eventName,
    ScopeName: ref.scopeLogs.scope?.name ?? '',
  };
}

function bodyValue(body: AnyValue | undefined): unknown {
  if (!body) return '';
  if (body.stringValue !== undefined) return body.stringValue;
  if (body.kvlistValue !== undefined) return keyValuesToPlainJson(body.kvlistValue.values);
  const json = anyValueToPlainJson(body);
  return typeof json === 'string' ? json : JSON.stringify(json);
}

const hexId = (b: Uint8Array) => (b.length > 0 && b.some((x) => x !== 0) ? Buffer.from(b).toString('hex') : '');
