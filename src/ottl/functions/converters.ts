import { MAX_ANY_VALUE_DEPTH } from '../../pdata/proto-decode.js';
import { OttlRuntimeError } from '../errors.js';
import type { Getter } from '../paths.js';
import { compileGoRegex } from '../regex.js';
import { asStringLike, isList, listItems, OttlList, OttlMap, toAny, type Value } from '../value.js';
import { CASES, describe, getter, literal, stringFn, stringWithLiteral, valueFn } from './converter-kit.js';
import { ExtractPatterns } from './extract-patterns.js';
import { COLLECTION_CONVERTERS } from './collection-converters.js';
import { ENCODING_CONVERTERS } from './encoding-converters.js';
import { ParseCSV } from './parse-csv.js';
import { HASH_CONVERTERS } from './hash-converters.js';
import { STRING_CONVERTERS } from './string-converters.js';
import { ParseKeyValue } from './parse-key-value.js';
import { TIME_CONVERTERS } from './time-converters.js';
import type { Converter, FunctionDef } from './types.js';

/** OTTL converters (pkg/ottl/ottlfuncs): pure functions that return a value. */

const INT_TEXT = /^[+-]?\d+$/;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

function toInt(v: Value): Value {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? BigInt(Math.trunc(v)) : null;
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (typeof v === 'string' && INT_TEXT.test(v)) {
    const n = BigInt(v);
    return n >= INT64_MIN && n <= INT64_MAX ? n : null;
  }
  return null;
}

function toDouble(v: Value): Value {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  return null;
}

const BOOL_TEXT: Record<string, boolean> = { '1': true, t: true, T: true, TRUE: true, true: true, True: true, '0': false, f: false, F: false, FALSE: false, false: false, False: false };

function toBool(v: Value): Value {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return v !== 0n;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return BOOL_TEXT[v] ?? null;
  return null;
}

/**
 * JSON numbers become float64, as encoding/json does in the Collector's ParseJSON. `depth` counts
 * the containers around `x`: JSON deeper than OTLP values can carry fails here, in the one walk.
 */
function fromJson(x: unknown, depth = 0): Value {
  if (x === null) return null;
  if (typeof x === 'number') return x;
  if (typeof x === 'string' || typeof x === 'boolean') return x;
  if (depth >= MAX_ANY_VALUE_DEPTH) throw new OttlRuntimeError(`ParseJSON: the JSON nests deeper than ${MAX_ANY_VALUE_DEPTH} levels`);
  if (Array.isArray(x)) return x.map((v) => fromJson(v, depth + 1));
  const kvs = Object.entries(x as Record<string, unknown>).map(([key, v]) => ({ key, value: toAny(fromJson(v, depth + 1)) }));
  return new OttlMap(kvs);
}

export const CONVERTERS: Record<string, FunctionDef<Converter>> = {
  ...TIME_CONVERTERS,
  ...HASH_CONVERTERS,
  ...STRING_CONVERTERS,
  ...COLLECTION_CONVERTERS,
  ...ENCODING_CONVERTERS,
  ParseCSV,
  ParseKeyValue,
  ExtractPatterns,
  IsMatch: {
    params: [getter('target'), literal('pattern')],
    build: ([target, pattern]) => {
      const g = target as Getter;
      const re = compileGoRegex(pattern as string);
      return (ctx) => {
        const s = asStringLike(g(ctx));
        return s === null ? false : re.test(s);
      };
    },
  },
  Concat: {
    // Newer Collectors take any string expression as the delimiter, older ones a literal.
    params: [getter('vals'), getter('delimiter')],
    build: ([vals, delimiter]) => {
      const g = vals as Getter;
      const d = delimiter as Getter;
      return (ctx) => {
        const delim = d(ctx);
        if (typeof delim !== 'string') throw new OttlRuntimeError(`Concat delimiter must be a string, got ${describe(delim)}`);
        const list = g(ctx);
        if (!isList(list)) throw new OttlRuntimeError(`Concat expects a list of values, got ${describe(list)}`);
        const out: string[] = [];
        for (const v of listItems(list)) {
          // Maps and lists are left out on purpose (payload size), nil is written as Go prints it.
          if (v instanceof OttlMap || isList(v)) continue;
          out.push(v === null ? '<nil>' : asStringLike(v)!);
        }
        return out.join(delim);
      };
    },
  },
  Split: stringWithLiteral('Split', literal('delimiter'), (d) => d as string, (v, d) => (d === '' ? Array.from(v) : v.split(d))),
  Int: {
    params: [getter('value')],
    build: ([value]) => {
      const g = value as Getter;
      return (ctx) => toInt(g(ctx));
    },
  },
  Double: {
    params: [getter('value')],
    build: ([value]) => {
      const g = value as Getter;
      return (ctx) => toDouble(g(ctx));
    },
  },
  Bool: {
    params: [getter('value')],
    build: ([value]) => {
      const g = value as Getter;
      return (ctx) => toBool(g(ctx));
    },
  },
  String: {
    params: [getter('value')],
    build: ([value]) => {
      const g = value as Getter;
      return (ctx) => asStringLike(g(ctx));
    },
  },
  ParseJSON: {
    params: [getter('target')],
    build: ([target]) => {
      const g = target as Getter;
      return (ctx) => {
        const v = g(ctx);
        if (typeof v !== 'string') throw new OttlRuntimeError(`ParseJSON expects a string, got ${describe(v)}`);
        let parsed: unknown;
        try {
          parsed = JSON.parse(v);
        } catch (err) {
          throw new OttlRuntimeError(`ParseJSON: ${(err as Error).message}`);
        }
        if (typeof parsed !== 'object' || parsed === null) throw new OttlRuntimeError('ParseJSON: the JSON is not an object or array');
        return fromJson(parsed);
      };
    },
  },
  Len: {
    params: [getter('target')],
    build: ([target]) => {
      const g = target as Getter;
      return (ctx) => {
        const v = g(ctx);
        // Go's len(string) counts UTF-8 bytes; the Collector's Len inherits that.
        if (typeof v === 'string') return BigInt(Buffer.byteLength(v));
        if (v instanceof OttlMap) return BigInt(v.kvs.length);
        if (v instanceof OttlList) return BigInt(v.items.length);
        if (Array.isArray(v)) return BigInt(v.length);
        if (v instanceof Uint8Array) return BigInt(v.length);
        throw new OttlRuntimeError(`Len: unsupported type ${describe(v)}`);
      };
    },
  },
  IsString: valueFn((v) => typeof v === 'string'),
  IsMap: valueFn((v) => v instanceof OttlMap),
  IsList: valueFn((v) => isList(v)),
  IsInt: valueFn((v) => typeof v === 'bigint'),
  IsDouble: valueFn((v) => typeof v === 'number'),
  IsBool: valueFn((v) => typeof v === 'boolean'),
  ToLowerCase: stringFn((s) => s.toLowerCase()),
  ToUpperCase: stringFn((s) => s.toUpperCase()),
  ConvertCase: {
    params: [getter('target'), literal('toCase')],
    build: ([target, toCase]) => {
      const conv = CASES[toCase as string];
      if (!conv) throw new Error(`invalid case "${toCase as string}", expected one of lower, upper, snake, camel`);
      const g = target as Getter;
      return (ctx) => {
        const v = g(ctx);
        if (v === null) return null;
        if (typeof v !== 'string') throw new OttlRuntimeError(`ConvertCase expects a string, got ${describe(v)}`);
        return conv(v);
      };
    },
  },
  Substring: {
    params: [getter('target'), getter('start'), getter('length')],
    build: ([target, start, length]) => {
      const [g, gs, gl] = [target, start, length] as Getter[];
      return (ctx) => {
        const v = g(ctx);
        const s = gs(ctx);
        const l = gl(ctx);
        if (typeof v !== 'string') throw new OttlRuntimeError(`Substring expects a string, got ${describe(v)}`);
        if (typeof s !== 'bigint' || typeof l !== 'bigint') throw new OttlRuntimeError('Substring: start and length must be ints');
        if (s < 0n || l <= 0n || s + l > BigInt(v.length)) throw new OttlRuntimeError(`Substring: invalid range start=${s} length=${l} for a string of length ${v.length}`);
        return v.substr(Number(s), Number(l));
      };
    },
  },
  HasPrefix: {
    params: [getter('target'), getter('prefix')],
    build: ([target, prefix]) => {
      const [g, p] = [target, prefix] as Getter[];
      return (ctx) => {
        const v = g(ctx);
        const x = p(ctx);
        if (typeof v !== 'string' || typeof x !== 'string') throw new OttlRuntimeError('HasPrefix expects strings');
        return v.startsWith(x);
      };
    },
  },
  HasSuffix: {
    params: [getter('target'), getter('suffix')],
    build: ([target, suffix]) => {
      const [g, p] = [target, suffix] as Getter[];
      return (ctx) => {
        const v = g(ctx);
        const x = p(ctx);
        if (typeof v !== 'string' || typeof x !== 'string') throw new OttlRuntimeError('HasSuffix expects strings');
        return v.endsWith(x);
      };
    },
  },
};
