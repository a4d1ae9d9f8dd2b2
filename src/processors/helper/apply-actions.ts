import { createHash } from 'node:crypto';
import { contextValue, type ClientInfo } from '../../pdata/client-info.js';
import type { AnyValue, KeyValue } from '../../pdata/model.js';
import { anyValueToString, toAnyValue } from '../../pdata/values.js';
import type { CompiledAction } from './actions-config.js';

/**
 * Apply compiled actions, in order, to one attribute list (a log record's or a resource's),
 * changing it in place. Semantics follow the Collector's attraction package: insert only adds,
 * update only changes, upsert does both, a missing source attribute means no change, and a value
 * that cannot be converted is left as it is.
 */
export function applyActions(actions: CompiledAction[], attrs: KeyValue[], client?: ClientInfo): void {
  for (const a of actions) {
    switch (a.action) {
      case 'insert':
      case 'update':
      case 'upsert': {
        const value = sourceValue(a, attrs, client);
        if (!value) break;
        const i = a.key === undefined ? -1 : indexOf(attrs, a.key);
        if (i >= 0 && a.action !== 'insert') attrs[i] = { key: a.key!, value };
        else if (i < 0 && a.action !== 'update') attrs.push({ key: a.key!, value });
        break;
      }
      case 'delete':
        removeWhere(attrs, (k) => k === a.key || (a.regex !== undefined && matches(a.regex, k)));
        break;
      case 'hash':
        for (const kv of attrs) if (kv.key === a.key || (a.regex && matches(a.regex, kv.key))) kv.value = { stringValue: hashValue(kv.value) };
        break;
      case 'extract':
        extract(a, attrs);
        break;
      case 'convert': {
        const kv = attrs.find((x) => x.key === a.key);
        if (kv) kv.value = convertValue(kv.value, a.convertedType!) ?? kv.value;
        break;
      }
    }
  }
}

function sourceValue(a: CompiledAction, attrs: KeyValue[], client: ClientInfo | undefined): AnyValue | undefined {
  let found: AnyValue | undefined;
  if (a.value !== undefined) found = toAnyValue(a.value);
  else if (a.fromContext !== undefined) {
    const text = contextValue(client, a.fromContext);
    if (text !== undefined) found = { stringValue: text };
  }
  else if (a.fromAttribute !== undefined) {
    const src = attrs.find((kv) => kv.key === a.fromAttribute)?.value;
    // Copy: the source and target must not share one object that a later action may change.
    if (src) found = structuredClone(src);
  }
  if (!found && a.defaultValue !== undefined) found = toAnyValue(a.defaultValue);
  return found;
}

function indexOf(attrs: KeyValue[], key: string): number {
  return attrs.findIndex((kv) => kv.key === key);
}

function removeWhere(attrs: KeyValue[], pred: (key: string) => boolean): void {
  let w = 0;
  for (const kv of attrs) if (!pred(kv.key)) attrs[w++] = kv;
  attrs.length = w;
}

/** RegExp.test on a non-global pattern has no state, but be explicit that this is a search. */
function matches(re: RegExp, text: string): boolean {
  return re.test(text);
}

/**
 * SHA-256 as hex over the value's bytes, as the current Collector does (it used SHA-1 before
 * v0.75): strings as UTF-8, ints and doubles as 8 little-endian bytes, bools as one byte. Other
 * types hash to the empty string, as there.
 */
export function hashValue(v: AnyValue | undefined): string {
  let bytes: Buffer | undefined;
  if (v?.stringValue !== undefined) bytes = Buffer.from(v.stringValue, 'utf8');
  else if (v?.boolValue !== undefined) bytes = Buffer.from([v.boolValue ? 1 : 0]);
  else if (v?.intValue !== undefined) {
    bytes = Buffer.alloc(8);
    bytes.writeBigInt64LE(BigInt.asIntN(64, v.intValue));
  } else if (v?.doubleValue !== undefined) {
    bytes = Buffer.alloc(8);
    bytes.writeDoubleLE(v.doubleValue);
  }
  return bytes && bytes.length > 0 ? createHash('sha256').update(bytes).digest('hex') : '';
}

function extract(a: CompiledAction, attrs: KeyValue[]): void {
  const source = attrs.find((kv) => kv.key === a.key)?.value?.stringValue;
  if (source === undefined) return;
  const m = a.regex!.exec(source);
  if (!m?.groups) return;
  for (const name of a.groupNames!) {
    const value: AnyValue = { stringValue: m.groups[name] ?? '' };
    const i = indexOf(attrs, name);
    if (i >= 0) attrs[i] = { key: name, value };
    else attrs.push({ key: name, value });
  }
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const INT_TEXT = /^[+-]?\d+$/;
const FLOAT_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** The converted value, or undefined when it cannot be converted (the caller keeps the original). */
export function convertValue(v: AnyValue | undefined, to: 'int' | 'double' | 'string'): AnyValue | undefined {
  if (!v) return undefined;
  switch (to) {
    case 'int':
      if (v.intValue !== undefined) return v;
      if (v.doubleValue !== undefined) return Number.isFinite(v.doubleValue) ? { intValue: BigInt(Math.trunc(v.doubleValue)) } : undefined;
      if (v.boolValue !== undefined) return { intValue: v.boolValue ? 1n : 0n };
      if (v.stringValue !== undefined && INT_TEXT.test(v.stringValue)) {
        const n = BigInt(v.stringValue);
        return n >= INT64_MIN && n <= INT64_MAX ? { intValue: n } : undefined;
      }
      return undefined;
    case 'double':
      if (v.doubleValue !== undefined) return v;
      if (v.intValue !== undefined) return { doubleValue: Number(v.intValue) };
      if (v.boolValue !== undefined) return { doubleValue: v.boolValue ? 1 : 0 };
      if (v.stringValue !== undefined && FLOAT_TEXT.test(v.stringValue)) return { doubleValue: Number(v.stringValue) };
      return undefined;
    case 'string':
      return { stringValue: anyValueToString(v) };
  }
}
