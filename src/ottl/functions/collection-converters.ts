import { OttlRuntimeError } from '../errors.js';
import type { Getter } from '../paths.js';
import { asStringLike, fromAny, isList, listItems, OttlMap, toAny, valuesEqual, type Value } from '../value.js';
import { describe, getter, valueFn } from './converter-kit.js';
import type { Converter, FunctionDef } from './types.js';

/** OTTL's ContainsValue, Keys, Values, Sort, ToKeyValueString, SliceToMap and URL (pkg/ottl/ottlfuncs). */

const optionalString = (name: string) => ({ name, kind: 'string' as const, optional: true });
const optionalBool = (name: string) => ({ name, kind: 'bool' as const, optional: true });
const optionalStringList = (name: string) => ({ name, kind: 'stringList' as const, optional: true });

/** The value at `path` (map keys, one per level) inside `v`, or undefined when a level is missing. */
function at(v: Value, path: readonly string[]): Value | undefined {
  let cur: Value = v;
  for (const key of path) {
    if (!(cur instanceof OttlMap)) return undefined;
    const kv = cur.kvs.find((x) => x.key === key);
    if (!kv) return undefined;
    cur = fromAny(kv.value);
  }
  return cur;
}

/**
 * URL's map (semantic-convention keys), only the parts the URL has. A URL without a scheme is
 * read against a placeholder base, so `/path?q=1` gives its path and query and no domain.
 */
function urlParts(text: string): OttlMap {
  let u: URL;
  let relative = false;
  try {
    u = new URL(text);
  } catch {
    try {
      u = new URL(text, 'http://relative.invalid');
      relative = true;
    } catch {
      throw new OttlRuntimeError(`URL: cannot parse ${JSON.stringify(text)}`);
    }
  }
  const parts: [string, Value][] = [['url.original', text]];
  if (!relative) {
    parts.push(['url.scheme', u.protocol.replace(/:$/, '')]);
    if (u.hostname) parts.push(['url.domain', u.hostname.replace(/^\[|\]$/g, '')]);
    if (u.port) parts.push(['url.port', BigInt(u.port)]);
    if (u.username) parts.push(['url.username', decodeURIComponent(u.username)]);
    if (u.password) parts.push(['url.password', decodeURIComponent(u.password)]);
  }
  if (u.pathname && !(relative && u.pathname === '/' && !text.startsWith('/'))) parts.push(['url.path', u.pathname]);
  const ext = /\.([^./]+)$/.exec(u.pathname)?.[1];
  if (ext) parts.push(['url.extension', ext]);
  if (u.search.length > 1) parts.push(['url.query', u.search.slice(1)]);
  if (u.hash.length > 1) parts.push(['url.fragment', u.hash.slice(1)]);
  return new OttlMap(parts.map(([key, value]) => ({ key, value: toAny(value) })));
}

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
  SliceToMap: {
    params: [getter('target'), optionalStringList('key_path'), optionalStringList('value_path')],
    build: ([target, keyPath, valuePath]) => {
      const t = target as Getter;
      const [keys, values] = [keyPath as string[] | undefined, valuePath as string[] | undefined];
      return (ctx) => {
        const items = listOf(t(ctx), 'SliceToMap');
        if (!items) return null;
        const kvs = items.map((item, i) => {
          let key = String(i);
          if (keys && keys.length > 0) {
            const k = at(item, keys);
            if (typeof k !== 'string') throw new OttlRuntimeError(`SliceToMap: item ${i} has no string at key_path ${JSON.stringify(keys)}`);
            key = k;
          }
          const v = values && values.length > 0 ? at(item, values) : item;
          if (v === undefined) throw new OttlRuntimeError(`SliceToMap: item ${i} has nothing at value_path ${JSON.stringify(values)}`);
          return { key, value: toAny(v) };
        });
        return new OttlMap(kvs);
      };
    },
  },
  URL: valueFn((v) => {
    if (v === null || v === '') return null;
    if (typeof v !== 'string') throw new OttlRuntimeError(`URL expects a string, got ${describe(v)}`);
    return urlParts(v);
  }),
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
