import { logsToJson } from '../../pdata/json.js';
import type { LogRecord, Resource, ResourceLogs, ScopeLogs } from '../../pdata/model.js';
import { anyValueToPlainJson, keyValuesToPlainJson } from '../../pdata/values.js';
import { cellToJson, encodeCell, type Column } from '../columns.js';
import type { ExportFormat } from '../job.js';

/**
 * Records → staging lines, one call per slice of a page that goes into one chunk. Staging holds
 * what the final file needs and nothing that a resume could change: jsonl and otlp-json lines are
 * final already; csv and parquet rows keep typed cells (columns.ts) for the typed Parquet columns.
 */

export interface RecordItem {
  resourceLogs: ResourceLogs;
  scopeLogs: ScopeLogs;
  record: LogRecord;
}

export function stageLines(format: ExportFormat, columns: Column[] | undefined, items: RecordItem[]): string[] {
  switch (format) {
    case 'otlp-json':
      return otlpLines(items);
    case 'jsonl':
      return items.map((it) => JSON.stringify(columns ? columnObject(columns, it) : flatObject(it)));
    default:
      return items.map((it) => JSON.stringify(columns!.map((c) => encodeCell(c.read(it.resourceLogs.resource, it.record)))));
  }
}

function columnObject(columns: Column[], it: RecordItem): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const c of columns) o[c.name] = cellToJson(c.read(it.resourceLogs.resource, it.record));
  return o;
}

/** Without `fields`: the record's own fields, then resource and record attributes by key. */
function flatObject({ resourceLogs, record }: RecordItem): Record<string, unknown> {
  const o: Record<string, unknown> = {
    time: nanosToIso(record.timeUnixNano),
    observed_time: nanosToIso(record.observedTimeUnixNano),
    severity_text: record.severityText,
    severity_number: record.severityNumber,
    body: record.body ? anyValueToPlainJson(record.body) : null,
  };
  if (record.eventName) o.event_name = record.eventName;
  Object.assign(o, keyValuesToPlainJson(resourceAttributes(resourceLogs.resource)), keyValuesToPlainJson(record.attributes));
  return o;
}

function resourceAttributes(r: Resource | undefined) {
  return r?.attributes ?? [];
}

function nanosToIso(n: bigint): string | null {
  return n === 0n ? null : new Date(Number(n / 1_000_000n)).toISOString();
}

/** One OTLP/JSON `LogsData` per run of records under the same resource and scope. */
function otlpLines(items: RecordItem[]): string[] {
  const lines: string[] = [];
  let i = 0;
  while (i < items.length) {
    const { resourceLogs, scopeLogs } = items[i];
    const records: LogRecord[] = [];
    while (i < items.length && items[i].resourceLogs === resourceLogs && items[i].scopeLogs === scopeLogs) records.push(items[i++].record);
    lines.push(logsToJson({ resourceLogs: [{ ...resourceLogs, scopeLogs: [{ ...scopeLogs, logRecords: records }] }] }));
  }
  return lines;
}
