import { OttlRuntimeError } from '../errors.js';
import type { Getter } from '../paths.js';
import { asStringLike, fromAny, isList, listItems, OttlMap, valuesEqual, type Value } from '../value.js';
import { describe, getter } from './converter-kit.js';
import type { Converter, FunctionDef } from './types.js';

/** OTTL's ContainsValue, Keys, Values, Sort and ToKeyValueString (pkg/ottl/ottlfuncs). */

const optionalString = (name: string) => ({ name, kind: 'string' as const, optional: true });
const optionalBool = (name: string) => ({ name, kind: 'bool' as const, optional: true });

function mapOf(v: Value, fn: string): OttlMap | null {
  if (v === null) return null;
  if (!(v instanceof OttlMap)) throw new OttlRuntimeError(`${fn} expects a map, got ${describe(v)}`);
  return v;
}

function listOf(v: Value, fn: string): Value[] | null {
  if (v === null) return null;
  if (!isList(v)) throw new OttlRuntimeError(`${fn} expects a list, got ${describe(v)}`);
  return listItems(v);
}

/** Sort's order within one kind: numbers by value, strings by code unit, false before true. */
function sorted(items: Value[]): Value[] {
  const numbers = items.every((v) => typeof v === 'bigint' || typeof v === 'number');
  if (numbers) return [...items].sort((a, b) => (Number(a) < Number(b) ? -1 : Number(a) > Number(b) ? 1 : 0));
  if (items.every((v) => typeof v === 'string')) return [...items].sort((a, b) => ((a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0));
  if (items.every((v) => typeof v === 'boolean')) return [...items].sort((a, b) => Number(a) - Number(b));
  // Mixed kinds sort by their text, so the order is still total and stable.
  return [...items].sort((a, b) => {
    const x = asStringLike(a) ?? '';
    const y = asStringLike(b) ?? '';
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

/** A value for key=value text: quoted (with \" escaped) when it holds a delimiter or a quote. */
function kvText(s: string, delimiter: string, pairDelimiter: string): string {
  return s.includes(delimiter) || s.includes(pairDelimiter) || s.includes('"') ? `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : s;
}

export const COLLECTION_CONVERTERS: Record<string, FunctionDef<Converter>> = {
  ContainsValue: {
    params: [getter('target'), getter('item')],
    build: ([target, item]) => {
      const [t, i] = [target as Getter, item as Getter];
      return (ctx) => {
        const items = listOf(t(ctx), 'ContainsValue');
        if (!items) return false;
        const want = i(ctx);
        return items.some((v) => typeof v === typeof want && valuesEqual(v, want));
      };
    },
  },
  Keys: {
    params: [getter('target')],
    build: ([target]) => {
      const t = target as Getter;
      return (ctx) => mapOf(t(ctx), 'Keys')?.kvs.map((kv) => kv.key) ?? null;
    },
  },
  Values: {
    params: [getter('target')],
    build: ([target]) => {
      const t = target as Getter;
      return (ctx) => mapOf(t(ctx), 'Values')?.kvs.map((kv) => fromAny(kv.value)) ?? null;
    },
  },
  Sort: {
    params: [getter('target'), optionalString('order')],
    build: ([target, order]) => {
      const t = target as Getter;
      const o = (order as string | undefined) ?? 'asc';
      if (o !== 'asc' && o !== 'desc') throw new Error(`invalid sort order "${o}": expected "asc" or "desc"`);
      return (ctx) => {
        const items = listOf(t(ctx), 'Sort');
        if (!items) return null;
        const out = sorted(items);
        return o === 'desc' ? out.reverse() : out;
      };
    },
  },
  ToKeyValueString: {
    params: [getter('target'), optionalString('delimiter'), optionalString('pair_delimiter'), optionalBool('sort_output')],
    build: ([target, delimiter, pairDelimiter, sortOutput]) => {
      const t = target as Getter;
      const d = (delimiter as string | undefined) ?? '=';
      const p = (pairDelimiter as string | undefined) ?? ' ';
      if (d === p) throw new Error(`pair_delimiter "${p}" cannot be the same as delimiter "${d}"`);
      return (ctx) => {
        const m = mapOf(t(ctx), 'ToKeyValueString');
        if (!m) return null;
        const pairs = m.kvs.map((kv) => [kv.key, asStringLike(fromAny(kv.value)) ?? ''] as const);
        if (sortOutput) pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        return pairs.map(([k, v]) => `${kvText(k, d, p)}${d}${kvText(v, d, p)}`).join(p);
      };
    },
  },
};
