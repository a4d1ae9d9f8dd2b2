import type { AnyValue, KeyValue } from '../pdata/model.js';
import type { TransformContext } from './context.js';
import { OttlRuntimeError } from './errors.js';
import type { Root } from './fields.js';
import { fromAny, toAny, type Value } from './value.js';

export { pathOwner, resolveRoot } from './fields.js';

export type Getter = (ctx: TransformContext) => Value;
export type Setter = (ctx: TransformContext, v: Value) => void;

/** A compiled path: readable always, writable for every field the log data model lets change. */
export interface Accessor {
  get: Getter;
  set: Setter;
  /** The map a map-valued path points at, created on demand (for editors like delete_key). */
  map?: (ctx: TransformContext, create: boolean) => KeyValue[] | undefined;
}

type KeyGetter = (ctx: TransformContext) => Value;

function keyOf(ctx: TransformContext, k: KeyGetter): string | number {
  const v = k(ctx);
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') return Number(v);
  throw new OttlRuntimeError(`a key must be a string or an int, got ${v === null ? 'nil' : typeof v}`);
}

function findKv(kvs: KeyValue[], key: string): KeyValue | undefined {
  for (let i = 0; i < kvs.length; i++) if (kvs[i].key === key) return kvs[i];
  return undefined;
}

function step(cur: AnyValue | undefined, key: string | number): AnyValue | undefined {
  if (cur === undefined) return undefined;
  if (typeof key === 'string') {
    if (cur.kvlistValue === undefined) return undefined;
    return findKv(cur.kvlistValue.values, key)?.value;
  }
  if (cur.arrayValue === undefined) return undefined;
  const items = cur.arrayValue.values;
  if (key < 0 || key >= items.length) throw new OttlRuntimeError(`index ${key} out of bounds (length ${items.length})`);
  return items[key];
}

/** The child container at `key`, created (as an empty map) when missing. */
function childForWrite(kvs: KeyValue[], key: string | number): AnyValue {
  if (typeof key !== 'string') throw new OttlRuntimeError('an int key can only index a list');
  let kv = findKv(kvs, key);
  if (!kv) {
    kv = { key, value: { kvlistValue: { values: [] } } };
    kvs.push(kv);
  }
  if (!kv.value) kv.value = { kvlistValue: { values: [] } };
  return kv.value;
}

function writeInto(container: AnyValue, key: string | number, v: AnyValue): void {
  if (typeof key === 'string') {
    if (container.kvlistValue === undefined) throw new OttlRuntimeError(`cannot set key "${key}": the value is not a map`);
    putKv(container.kvlistValue.values, key, v);
    return;
  }
  if (container.arrayValue === undefined) throw new OttlRuntimeError(`cannot set index ${key}: the value is not a list`);
  const items = container.arrayValue.values;
  if (key < 0 || key >= items.length) throw new OttlRuntimeError(`index ${key} out of bounds (length ${items.length})`);
  items[key] = v;
}

function isUnset(v: AnyValue): boolean {
  return fromAny(v) === null;
}

export function putKv(kvs: KeyValue[], key: string, v: AnyValue): void {
  const kv = findKv(kvs, key);
  if (kv) kv.value = v;
  else kvs.push({ key, value: v });
}

/** Builds the accessor for a path and its `[key]` chain. */
export function buildAccessor(root: Root, keys: KeyGetter[], constKeys: (string | number | undefined)[]): Accessor {
  if (keys.length === 0) return { get: root.get, set: root.set, map: root.map };
  const keyAt = (ctx: TransformContext, i: number) => constKeys[i] ?? keyOf(ctx, keys[i]);

  // The hot case, attributes["k"] with a literal key, gets a loop-free closure.
  if (keys.length === 1 && root.map && !root.any && typeof constKeys[0] === 'string') {
    const k = constKeys[0];
    const mapOf = root.map;
    return {
      get: (ctx) => {
        const kvs = mapOf(ctx, false);
        return kvs ? fromAny(findKv(kvs, k)?.value) : null;
      },
      set: (ctx, v) => {
        if (v !== null) putKv(mapOf(ctx, true)!, k, toAny(v));
      },
      map: (ctx, create) => {
        const kvs = mapOf(ctx, create);
        const existing = kvs ? findKv(kvs, k)?.value : undefined;
        if (existing?.kvlistValue) return existing.kvlistValue.values;
        if (!create || !kvs || (existing !== undefined && !isUnset(existing))) return undefined;
        const created: KeyValue[] = [];
        putKv(kvs, k, { kvlistValue: { values: created } });
        return created;
      },
    };
  }

  const read = (ctx: TransformContext): AnyValue | undefined => {
    let cur: AnyValue | undefined;
    let i = 0;
    if (!root.any) {
      const kvs = root.map!(ctx, false);
      const k0 = keyAt(ctx, 0);
      if (!kvs || typeof k0 !== 'string') return undefined;
      cur = findKv(kvs, k0)?.value;
      i = 1;
    } else {
      cur = root.any!(ctx, false);
    }
    for (; i < keys.length && cur !== undefined; i++) cur = step(cur, keyAt(ctx, i));
    return cur;
  };

  /** The AnyValue holding the last key, with intermediate maps created. */
  const parentForWrite = (ctx: TransformContext): AnyValue => {
    let cur: AnyValue;
    let i = 0;
    if (!root.any) {
      const kvs = root.map!(ctx, true)!;
      if (keys.length === 1) return { kvlistValue: { values: kvs } };
      cur = childForWrite(kvs, keyAt(ctx, 0));
      i = 1;
    } else {
      cur = root.any!(ctx, true)!;
    }
    for (; i < keys.length - 1; i++) {
      const k = keyAt(ctx, i);
      if (typeof k === 'string' && cur.kvlistValue !== undefined) cur = childForWrite(cur.kvlistValue.values, k);
      else {
        const next = step(cur, k);
        if (!next) throw new OttlRuntimeError(`cannot set through key ${JSON.stringify(k)}: the value is not a map`);
        cur = next;
      }
    }
    return cur;
  };

  const mapAt = (ctx: TransformContext, create: boolean): KeyValue[] | undefined => {
    const existing = read(ctx);
    if (existing?.kvlistValue) return existing.kvlistValue.values;
    if (!create || (existing !== undefined && !isUnset(existing))) return undefined;
    const parent = parentForWrite(ctx);
    const created: AnyValue = { kvlistValue: { values: [] } };
    writeInto(parent, keyAt(ctx, keys.length - 1), created);
    return created.kvlistValue!.values;
  };

  return {
    get: (ctx) => fromAny(read(ctx)),
    set: (ctx, v) => {
      if (v === null) return;
      writeInto(parentForWrite(ctx), keyAt(ctx, keys.length - 1), toAny(v));
    },
    map: mapAt,
  };
}
