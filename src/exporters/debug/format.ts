import type { AnyValue, KeyValue, LogRecord, Logs } from '../../pdata/model.js';
import { countLogRecords } from '../../pdata/model.js';
import { anyValueToString } from '../../pdata/values.js';

/**
 * Text renderings of a request for the debug exporter, one per verbosity: `basic` is one summary
 * line, `normal` adds one line per record, `detailed` dumps every field (resource, scope, record).
 */
export function formatBasic(id: string, logs: Logs): string {
  return `${new Date().toISOString()}\tinfo\tLogs\t{"otelcol.component.id": ${JSON.stringify(id)}, "resource logs": ${logs.resourceLogs.length}, "log records": ${countLogRecords(logs)}}\n`;
}

export function formatNormal(logs: Logs): string {
  const lines: string[] = [];
  logs.resourceLogs.forEach((rl, i) => {
    lines.push(`ResourceLog #${i}${rl.schemaUrl ? ` [${rl.schemaUrl}]` : ''} ${inlineAttrs(rl.resource?.attributes ?? [])}`.trimEnd());
    rl.scopeLogs.forEach((sl, j) => {
      const scope = sl.scope ? `${sl.scope.name}${sl.scope.version ? `@${sl.scope.version}` : ''}` : '';
      lines.push(`ScopeLog #${j} ${scope}`.trimEnd());
      for (const r of sl.logRecords) lines.push(`${recordTime(r)} ${r.severityText || severityName(r.severityNumber)} ${anyValueToString(r.body)} ${inlineAttrs(r.attributes)}`.trimEnd());
    });
  });
  return lines.join('\n') + '\n';
}

export function formatDetailed(logs: Logs): string {
  const out: string[] = [];
  logs.resourceLogs.forEach((rl, i) => {
    out.push(`ResourceLog #${i}`, `Resource SchemaURL: ${rl.schemaUrl}`);
    attrBlock(out, 'Resource attributes', rl.resource?.attributes ?? []);
    rl.scopeLogs.forEach((sl, j) => {
      out.push(`ScopeLogs #${j}`, `ScopeLogs SchemaURL: ${sl.schemaUrl}`, `InstrumentationScope ${sl.scope?.name ?? ''} ${sl.scope?.version ?? ''}`.trimEnd());
      attrBlock(out, 'InstrumentationScope attributes', sl.scope?.attributes ?? []);
      sl.logRecords.forEach((r, k) => {
        out.push(
          `LogRecord #${k}`,
          `ObservedTimestamp: ${nanosToIso(r.observedTimeUnixNano)}`,
          `Timestamp: ${nanosToIso(r.timeUnixNano)}`,
          `SeverityText: ${r.severityText}`,
          `SeverityNumber: ${severityName(r.severityNumber)}(${r.severityNumber})`,
        );
        if (r.eventName) out.push(`EventName: ${r.eventName}`);
        out.push(`Body: ${typed(r.body)}`);
        attrBlock(out, 'Attributes', r.attributes);
        out.push(`Trace ID: ${hex(r.traceId)}`, `Span ID: ${hex(r.spanId)}`, `Flags: ${r.flags}`);
        if (r.droppedAttributesCount) out.push(`DroppedAttributesCount: ${r.droppedAttributesCount}`);
      });
    });
  });
  return out.join('\n') + '\n';
}

function attrBlock(out: string[], title: string, attrs: KeyValue[]): void {
  if (attrs.length === 0) return;
  out.push(`${title}:`);
  for (const kv of attrs) out.push(`     -> ${kv.key}: ${typed(kv.value)}`);
}

/** `Str(text)`, `Int(5)`, `Map({...})`: the type is shown, as the Collector's detailed output does. */
function typed(v: AnyValue | undefined): string {
  if (!v) return 'Empty()';
  if (v.stringValue !== undefined) return `Str(${v.stringValue})`;
  if (v.intValue !== undefined) return `Int(${v.intValue})`;
  if (v.doubleValue !== undefined) return `Double(${v.doubleValue})`;
  if (v.boolValue !== undefined) return `Bool(${v.boolValue})`;
  if (v.bytesValue !== undefined) return `Bytes(${Buffer.from(v.bytesValue).toString('base64')})`;
  if (v.arrayValue !== undefined) return `Slice(${anyValueToString(v)})`;
  if (v.kvlistValue !== undefined) return `Map(${anyValueToString(v)})`;
  return 'Empty()';
}

function inlineAttrs(attrs: KeyValue[]): string {
  return attrs.map((kv) => `${kv.key}=${anyValueToString(kv.value)}`).join(' ');
}

function recordTime(r: LogRecord): string {
  return nanosToIso(r.timeUnixNano !== 0n ? r.timeUnixNano : r.observedTimeUnixNano);
}

const NANOS_PER_MS = 1_000_000n;

function nanosToIso(nanos: bigint): string {
  if (nanos === 0n) return '1970-01-01T00:00:00.000Z';
  const ms = nanos / NANOS_PER_MS;
  const date = new Date(Number(ms));
  if (Number.isNaN(date.getTime())) return `${nanos}ns`;
  // keep the nanosecond digits the Date cannot hold
  const frac = (nanos % 1_000_000_000n).toString().padStart(9, '0');
  return date.toISOString().replace(/\.\d{3}Z$/, `.${frac}Z`);
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

const SEVERITY_NAMES = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];

function severityName(n: number): string {
  if (n < 1 || n > 24) return 'Unspecified';
  const base = SEVERITY_NAMES[Math.floor((n - 1) / 4)];
  const step = (n - 1) % 4;
  return step === 0 ? base : `${base}${step + 1}`;
}
