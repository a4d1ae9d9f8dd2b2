import type { AnyValue, KeyValue, LogRecord } from '../../../pdata/model.js';
import { newLogRecord } from '../../../pdata/model.js';

/**
 * One log entry while the operators work on it, as stanza's `entry.Entry`: plain JavaScript values
 * (parsers produce maps), turned into a LogRecord once at the end of the chain.
 */
export interface Entry {
  body: unknown;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
  timeUnixNano: bigint;
  observedTimeUnixNano: bigint;
  severityNumber: number;
  severityText: string;
}

export interface FieldRef {
  root: 'body' | 'attributes' | 'resource';
  keys: string[];
}

/** `attributes["a.b"].c` → {root: attributes, keys: [a.b, c]}; the syntax was checked by the schema. */
export function parseField(path: string): FieldRef {
  const root = /^(body|attributes|resource)/.exec(path)![1] as FieldRef['root'];
  const keys: string[] = [];
  for (const m of path.slice(root.length).matchAll(/\.([^.[\]"]+)|\["([^"]+)"\]/g)) keys.push(m[1] ?? m[2]!);
  return { root, keys };
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

export function getField(e: Entry, f: FieldRef): unknown {
  let v: unknown = e[f.root];
  for (const k of f.keys) {
    if (!isMap(v)) return undefined;
    v = v[k];
  }
  return v;
}

/** Sets a field, creating maps on the way; a map set at a map field merges into it (stanza's parse_to). */
export function setField(e: Entry, f: FieldRef, value: unknown): void {
  if (f.keys.length === 0) {
    if (f.root === 'body') e.body = value;
    else e[f.root] = isMap(value) ? { ...e[f.root], ...value } : e[f.root];
    return;
  }
  let parent: Record<string, unknown>;
  if (f.root === 'body') {
    if (!isMap(e.body)) e.body = {};
    parent = e.body as Record<string, unknown>;
  } else parent = e[f.root];
  for (const k of f.keys.slice(0, -1)) {
    if (!isMap(parent[k])) parent[k] = {};
    parent = parent[k] as Record<string, unknown>;
  }
  const last = f.keys.at(-1)!;
  parent[last] = isMap(value) && isMap(parent[last]) ? { ...(parent[last] as Record<string, unknown>), ...value } : value;
}

export function deleteField(e: Entry, f: FieldRef): void {
  if (f.keys.length === 0) {
    if (f.root === 'body') e.body = undefined;
    return;
  }
  let v: unknown = e[f.root];
  for (const k of f.keys.slice(0, -1)) {
    if (!isMap(v)) return;
    v = v[k];
  }
  if (isMap(v)) delete v[f.keys.at(-1)!];
}

/** A JavaScript value as an OTLP AnyValue (integers stay integers, maps become kvlists). */
export function toAnyValue(v: unknown): AnyValue {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'bigint') return { intValue: v };
  if (typeof v === 'number') return Number.isSafeInteger(v) ? { intValue: BigInt(v) } : { doubleValue: v };
  if (v instanceof Uint8Array) return { bytesValue: v };
  if (Array.isArray(v)) return { arrayValue: { values: v.map(toAnyValue) } };
  if (isMap(v)) return { kvlistValue: { values: toKeyValues(v) } };
  return {};
}

export function toKeyValues(m: Record<string, unknown>): KeyValue[] {
  const out: KeyValue[] = [];
  for (const [key, v] of Object.entries(m)) if (v !== undefined) out.push({ key, value: toAnyValue(v) });
  return out;
}

export function entryToLogRecord(e: Entry): LogRecord {
  return newLogRecord({
    timeUnixNano: e.timeUnixNano,
    observedTimeUnixNano: e.observedTimeUnixNano,
    severityNumber: e.severityNumber,
    severityText: e.severityText,
    body: e.body === undefined ? undefined : toAnyValue(e.body),
    attributes: toKeyValues(e.attributes),
  });
}
