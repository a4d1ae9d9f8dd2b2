import type { AnyValue, KeyValue } from '../../pdata/model.js';
import { OttlRuntimeError } from '../errors.js';
import type { Accessor, Getter } from '../paths.js';
import { putKv } from '../paths.js';
import { isList, listItems, OttlMap, typeName, type Value } from '../value.js';
import { targetMap } from './editors.js';
import type { Editor, FunctionDef } from './types.js';

/** OTTL editors that change the shape of a value: `flatten` (a map), `append` and `delete_index` (a list). */

export const SHAPE_EDITORS: Record<string, FunctionDef<Editor>> = {
  /**
   * flatten(target, prefix?, depth?, resolveConflicts?): nested maps and lists become dotted keys
   * (`key.0`, `key.1` for list items), down to `depth` levels (what is deeper stays as it is); a
   * later key wins, or with resolveConflicts gets a numbered suffix (flattenInto).
   */
  flatten: {
    params: [
      { name: 'target', kind: 'path' },
      { name: 'prefix', kind: 'string', optional: true },
      { name: 'depth', kind: 'int', optional: true },
      { name: 'resolveConflicts', kind: 'bool', optional: true },
    ],
    build: ([target, prefixArg, depthArg, resolveConflicts]) => {
      const depth = (depthArg as bigint | undefined) ?? BigInt(Number.MAX_SAFE_INTEGER);
      if (depth < 0n) throw new Error(`invalid depth for flatten function, ${depth} cannot be negative`);
      const prefix = (prefixArg as string | undefined) ?? '';
      const maxDepth = Number(depth);
      const t = target as Accessor;
      return (ctx) => {
        const kvs = targetMap(t, ctx);
        if (!kvs) return;
        const out: KeyValue[] = [];
        flattenInto(out, kvs, prefix, 0, maxDepth, resolveConflicts === true ? new Map() : undefined);
        kvs.length = 0;
        kvs.push(...out);
      };
    },
  },
  /**
   * append(target, value?, values?): the target becomes a list: its items (or the scalar it held,
   * or nothing when absent) followed by `value` and the items of `values`.
   */
  append: {
    params: [
      { name: 'target', kind: 'path' },
      { name: 'value', kind: 'getter', optional: true },
      { name: 'values', kind: 'getter', optional: true },
    ],
    build: ([target, value, values]) => {
      if (value === undefined && values === undefined) throw new Error("append: at least one of the optional arguments ('value' or 'values') must be provided");
      const t = target as Accessor;
      const one = value as Getter | undefined;
      const many = values as Getter | undefined;
      return (ctx) => {
        const current = t.get(ctx);
        if (current instanceof OttlMap) throw new OttlRuntimeError(`append: unsupported type of target field: ${typeName(current)}`);
        const items: Value[] = current === null ? [] : isList(current) ? [...listItems(current)] : [current];
        if (one) items.push(one(ctx));
        if (many) {
          const more = many(ctx);
          if (!isList(more)) throw new OttlRuntimeError(`append: values must be a list, got ${typeName(more)}`);
          items.push(...listItems(more));
        }
        t.set(ctx, items);
      };
    },
  },
  /** delete_index(target, startIndex, endIndex?): removes the list's items [start, end), end = start + 1 by default. */
  delete_index: {
    params: [
      { name: 'target', kind: 'path' },
      { name: 'startIndex', kind: 'getter' },
      { name: 'endIndex', kind: 'getter', optional: true },
    ],
    build: ([target, startIndex, endIndex]) => {
      const t = target as Accessor;
      const startOf = startIndex as Getter;
      const endOf = endIndex as Getter | undefined;
      return (ctx) => {
        const current = t.get(ctx);
        if (!isList(current)) throw new OttlRuntimeError(`delete_index: expected a list but got ${typeName(current)}`);
        const items = listItems(current);
        const start = intOf(startOf(ctx), 'startIndex');
        const end = endOf ? intOf(endOf(ctx), 'endIndex') : start + 1n;
        const length = BigInt(items.length);
        if (!(start === 0n && end === length)) {
          if (start < 0n || start >= length) throw new OttlRuntimeError(`delete_index: startIndex ${start} out of bounds for a list of length ${length}`);
          if (end < start) throw new OttlRuntimeError(`delete_index: endIndex ${end} cannot be less than startIndex ${start}`);
          if (end > length) throw new OttlRuntimeError(`delete_index: deletion range [${start}:${end}] out of bounds for a list of length ${length}`);
        }
        t.set(ctx, [...items.slice(0, Number(start)), ...items.slice(Number(end))]);
      };
    },
  },
};

function intOf(v: Value, name: string): bigint {
  if (typeof v !== 'bigint') throw new OttlRuntimeError(`delete_index: ${name} must be an int, got ${typeName(v)}`);
  return v;
}

/**
 * With `seen` (resolveConflicts), a key already written gets the next free suffix instead of being
 * overwritten: `key`, then `key.0`, `key.1`, …; a list's items then all go under the list's own key
 * that way, as in the Collector.
 */
function flattenInto(out: KeyValue[], kvs: KeyValue[], prefix: string, depth: number, maxDepth: number, seen?: Map<string, number>): void {
  const p = prefix === '' ? '' : `${prefix}.`;
  const put = (key: string, value: AnyValue) => {
    if (!seen) return putKv(out, key, value);
    if (!out.some((kv) => kv.key === key)) {
      seen.set(key, 0);
      return putKv(out, key, value);
    }
    const next = seen.get(key) ?? 0;
    seen.set(key, next + 1);
    putKv(out, `${key}.${next}`, value);
  };
  for (const kv of kvs) {
    const v: AnyValue | undefined = kv.value;
    const key = p + kv.key;
    if (v?.kvlistValue && depth < maxDepth) flattenInto(out, v.kvlistValue.values, key, depth + 1, maxDepth, seen);
    else if (v?.arrayValue && depth < maxDepth) flattenList(out, v.arrayValue.values, key, depth, maxDepth, seen, put);
    else put(key, v ?? {});
  }
}

/**
 * A list's items, as the Collector's: a map item within depth is flattened under `key.i`, a list
 * item within depth likewise (`key.i.j`), anything else goes to `key.i` (with resolveConflicts, to
 * `key` and its numbered suffixes).
 */
function flattenList(out: KeyValue[], items: AnyValue[], key: string, depth: number, maxDepth: number, seen: Map<string, number> | undefined, put: (key: string, value: AnyValue) => void): void {
  items.forEach((item, i) => {
    const within = depth + 1 < maxDepth;
    if (item.kvlistValue && within) flattenInto(out, item.kvlistValue.values, `${key}.${i}`, depth + 2, maxDepth, seen);
    else if (item.arrayValue && within) flattenList(out, item.arrayValue.values, `${key}.${i}`, depth + 1, maxDepth, seen, put);
    else put(seen ? key : `${key}.${i}`, item);
  });
}
