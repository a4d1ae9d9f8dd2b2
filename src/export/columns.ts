import type { AnyValue, KeyValue, LogRecord, Resource } from '../pdata/model.js';
import { anyValueToPlainJson, anyValueToString, getAttr } from '../pdata/values.js';

/**
 * Flat formats' columns (`fields: ["time", "make.scenario.id:scenario_id", ...]`): a path per
 * column, optionally renamed after the last `:`. Paths: `time`/`timestamp`, `observed_time`,
 * `severity`/`severity_text`, `severity_number`, `body`, `event_name`, `trace_id`, `span_id`,
 * `resource.KEY`, `attributes.KEY`, or a bare attribute KEY (the record's, else the resource's).
 * A cell keeps its type: Parquet writes ints as INT64 and times as TIMESTAMP(ms) (docs/exports.md).
 */

/** A typed cell: timestamps are `{ timeMs }`, ints bigint, complex values JSON text. */
export type Cell = null | string | boolean | number | bigint | { timeMs: number };

export interface Column {
  name: string;
  path: string;
  read(resource: Resource | undefined, record: LogRecord): Cell;
}

/** The columns of a flat export without `fields`: one per field of the Make mapping. */
export const DEFAULT_FIELDS = [
  'time',
  'severity_text:severity',
  'body',
  'service.name',
  'make.zone',
  'make.organization.id',
  'make.team.id',
  'make.scenario.id',
  'make.scenario.name',
  'make.execution.id',
  'make.execution.imt_id',
  'make.execution.status',
  'make.execution.type',
  'make.execution.duration_ms',
  'make.execution.operations',
  'make.execution.transfer_bytes',
  'make.execution.centicredits',
  'make.execution.instant',
  'make.execution.author_id',
] as const;

export class FieldError extends Error {}

export function parseColumns(fields: readonly string[]): Column[] {
  const names = new Set<string>();
  return fields.map((spec) => {
    const cut = spec.lastIndexOf(':');
    // `attributes["a:b"]` keeps its colon: a rename follows the closing bracket or a plain path.
    const renamed = cut > 0 && !spec.slice(cut).includes(']');
    const path = (renamed ? spec.slice(0, cut) : spec).trim();
    const name = (renamed ? spec.slice(cut + 1) : spec).trim();
    if (!path || !name) throw new FieldError(`fields: "${spec}" needs a path (and a name after ":")`);
    if (names.has(name)) throw new FieldError(`fields: column "${name}" appears twice`);
    names.add(name);
    return { name, path, read: reader(path) };
  });
}

function reader(path: string): Column['read'] {
  switch (path) {
    case 'time':
    case 'timestamp':
    case 'time_unix_nano':
      return (_r, rec) => timeCell(rec.timeUnixNano);
    case 'observed_time':
    case 'observed_timestamp':
    case 'observed_time_unix_nano':
      return (_r, rec) => timeCell(rec.observedTimeUnixNano);
    case 'severity':
    case 'severity_text':
      return (_r, rec) => rec.severityText;
    case 'severity_number':
      return (_r, rec) => BigInt(rec.severityNumber);
    case 'body':
      return (_r, rec) => (rec.body ? anyValueToString(rec.body) : null);
    case 'event_name':
      return (_r, rec) => rec.eventName || null;
    case 'trace_id':
      return (_r, rec) => (rec.traceId.length ? Buffer.from(rec.traceId).toString('hex') : null);
    case 'span_id':
      return (_r, rec) => (rec.spanId.length ? Buffer.from(rec.spanId).toString('hex') : null);
  }
  const resourceKey = keyAfter(path, 'resource');
  if (resourceKey !== undefined) return (res) => attrCell(res?.attributes, resourceKey);
  const recordKey = keyAfter(path, 'attributes');
  if (recordKey !== undefined) return (_r, rec) => attrCell(rec.attributes, recordKey);
  return (res, rec) => {
    const own = getAttr(rec.attributes, path);
    return own ? valueCell(own) : attrCell(res?.attributes, path);
  };
}

/** `resource.k`, `resource.attributes.k`, `resource.attributes["k"]` → `k` (same for `attributes`). */
function keyAfter(path: string, prefix: string): string | undefined {
  const bracket = new RegExp(`^${prefix}(?:\\.attributes)?\\["(.+)"\\]$`).exec(path);
  if (bracket) return bracket[1];
  if (prefix === 'resource' && path.startsWith('resource.attributes.')) return path.slice('resource.attributes.'.length);
  if (path.startsWith(`${prefix}.`)) return path.slice(prefix.length + 1);
  return undefined;
}

function timeCell(nanos: bigint): Cell {
  return nanos === 0n ? null : { timeMs: Number(nanos / 1_000_000n) };
}

function attrCell(attrs: KeyValue[] | undefined, key: string): Cell {
  const v = attrs ? getAttr(attrs, key) : undefined;
  return v ? valueCell(v) : null;
}

export function valueCell(v: AnyValue): Cell {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return v.intValue;
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.bytesValue !== undefined) return Buffer.from(v.bytesValue).toString('base64');
  const plain = anyValueToPlainJson(v);
  return plain === null ? null : JSON.stringify(plain);
}

/** A cell as plain JSON (jsonl): times as RFC 3339, ints as numbers while exact. */
export function cellToJson(c: Cell): unknown {
  if (c === null || typeof c !== 'object') {
    if (typeof c === 'bigint') return Number.isSafeInteger(Number(c)) ? Number(c) : c.toString();
    return c;
  }
  return new Date(c.timeMs).toISOString();
}

/** A cell as CSV text. */
export function cellToText(c: Cell): string {
  if (c === null) return '';
  if (typeof c === 'object') return new Date(c.timeMs).toISOString();
  return String(c);
}

/** Staging encoding (one JSON array per row) that keeps int, double and time apart. */
export function encodeCell(c: Cell): unknown {
  if (typeof c === 'bigint') return { i: c.toString() };
  if (c !== null && typeof c === 'object') return { t: c.timeMs };
  return c;
}

export function decodeCell(v: unknown): Cell {
  if (v !== null && typeof v === 'object') {
    const o = v as { i?: string; t?: number };
    if (o.i !== undefined) return BigInt(o.i);
    if (o.t !== undefined) return { timeMs: o.t };
  }
  return v as Cell;
}
