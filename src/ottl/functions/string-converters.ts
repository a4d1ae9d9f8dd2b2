import { OttlRuntimeError } from '../errors.js';
import type { Getter } from '../paths.js';
import { asStringLike, formatFloat, isList, listItems, OttlMap, valuesEqual, type Value } from '../value.js';
import { describe, getter, literal } from './converter-kit.js';
import type { Converter, FunctionDef } from './types.js';

/** OTTL's Format, Index, Coalesce and Trim (pkg/ottl/ottlfuncs), with Go's semantics. */

/** Go's `%v` of one value: nil as `<nil>`, maps and lists as Go prints pcommon raw values. */
function goValue(v: Value): string {
  if (v === null) return '<nil>';
  if (v instanceof OttlMap) return `map[${v.kvs.map((kv) => `${kv.key}:${goValue(fromAnyValue(kv.value))}`).join(' ')}]`;
  if (isList(v)) return `[${listItems(v).map(goValue).join(' ')}]`;
  return asStringLike(v)!;
}

function fromAnyValue(a: unknown): Value {
  const x = a as Record<string, unknown>;
  if ('stringValue' in x) return x.stringValue as string;
  if ('intValue' in x) return x.intValue as bigint;
  if ('doubleValue' in x) return x.doubleValue as number;
  if ('boolValue' in x) return x.boolValue as boolean;
  return asStringLike(null);
}

const VERB = /%([-+# 0]*)(\d+)?(?:\.(\d+))?([a-zA-Z%])/g;

/**
 * fmt.Sprintf for the verbs a statement writes: %s %v %d %f %g %e %x %X %q %t %%, with width and
 * precision. A verb without its argument prints `%!d(MISSING)`, a wrong type `%!d(string=x)`, and
 * arguments left over `%!(EXTRA type=value, …)`, as Go does, so output matches the Collector's.
 */
export function goSprintf(format: string, args: Value[]): string {
  let next = 0;
  let out = format.replace(VERB, (whole, flags: string, width: string | undefined, precision: string | undefined, verb: string) => {
    if (verb === '%') return '%';
    if (next >= args.length) return `%!${verb}(MISSING)`;
    const v = args[next++]!;
    const text = formatOne(verb, v, precision === undefined ? undefined : Number(precision));
    return text === undefined ? `%!${verb}(${goType(v)}=${goValue(v)})` : pad(text, flags, width);
  });
  if (next < args.length) out += `%!(EXTRA ${args.slice(next).map((v) => `${goType(v)}=${goValue(v)}`).join(', ')})`;
  return out;
}

function goType(v: Value): string {
  if (v === null) return '<nil>';
  if (typeof v === 'bigint') return 'int64';
  if (typeof v === 'number') return 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'string';
  return describe(v);
}

function formatOne(verb: string, v: Value, precision: number | undefined): string | undefined {
  switch (verb) {
    case 'v':
      return typeof v === 'number' ? formatFloat(v) : goValue(v);
    case 's':
      return typeof v === 'string' ? (precision === undefined ? v : v.slice(0, precision)) : v === null ? '%!s(<nil>)' : goValue(v);
    case 'd':
      return typeof v === 'bigint' ? v.toString() : undefined;
    case 'f':
    case 'F':
      return typeof v === 'number' ? v.toFixed(precision ?? 6) : undefined;
    case 'e':
      return typeof v === 'number' ? goExponent(v.toExponential(precision ?? 6)) : undefined;
    case 'g':
      return typeof v === 'number' ? (precision === undefined ? formatFloat(v) : String(Number(v.toPrecision(precision)))) : undefined;
    case 'x':
    case 'X': {
      const hex = typeof v === 'bigint' ? v.toString(16) : typeof v === 'string' ? Buffer.from(v).toString('hex') : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : undefined;
      return hex === undefined ? undefined : verb === 'X' ? hex.toUpperCase() : hex;
    }
    case 'q':
      return typeof v === 'string' ? JSON.stringify(v) : undefined;
    case 't':
      return typeof v === 'boolean' ? String(v) : undefined;
    default:
      return undefined;
  }
}

/** JS writes 1.5e+0, Go 1.500000e+00: two exponent digits at least. */
function goExponent(s: string): string {
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}

function pad(text: string, flags: string, width: string | undefined): string {
  if (width === undefined) return text;
  const w = Number(width);
  if (flags.includes('-')) return text.padEnd(w);
  if (flags.includes('0') && /^-?[0-9]/.test(text)) {
    const negative = text.startsWith('-');
    return (negative ? '-' : '') + text.slice(negative ? 1 : 0).padStart(w - (negative ? 1 : 0), '0');
  }
  return text.padStart(w);
}

export const STRING_CONVERTERS: Record<string, FunctionDef<Converter>> = {
  Format: {
    params: [literal('format'), getter('vals')],
    build: ([format, vals]) => {
      const g = vals as Getter;
      return (ctx) => {
        const list = g(ctx);
        if (!isList(list)) throw new OttlRuntimeError(`Format expects a list of values, got ${describe(list)}`);
        return goSprintf(format as string, listItems(list));
      };
    },
  },
  Index: {
    params: [getter('source'), getter('value')],
    build: ([source, value]) => {
      const [gs, gv] = [source, value] as Getter[];
      return (ctx) => {
        const s = gs(ctx);
        const v = gv(ctx);
        if (typeof s === 'string') {
          if (typeof v !== 'string') throw new OttlRuntimeError('Index: when source is a string, value must also be a string');
          // Go's strings.Index counts bytes.
          const at = s.indexOf(v);
          return BigInt(at < 0 ? -1 : Buffer.byteLength(s.slice(0, at)));
        }
        if (isList(s)) return BigInt(listItems(s).findIndex((item) => valuesEqual(item, v)));
        throw new OttlRuntimeError(`Index: source must be a string or a list, got ${describe(s)}`);
      };
    },
  },
  Coalesce: {
    params: [getter('values')],
    build: ([values]) => {
      const g = values as Getter;
      return (ctx) => {
        const list = g(ctx);
        if (!isList(list)) throw new OttlRuntimeError(`Coalesce expects a list of values, got ${describe(list)}`);
        const items = listItems(list);
        if (items.length === 0) throw new OttlRuntimeError('Coalesce requires at least one value');
        return items.find((x) => x !== null) ?? null;
      };
    },
  },
  Trim: {
    params: [getter('target'), { name: 'replacement', kind: 'string', optional: true }],
    build: ([target, replacement]) => {
      const g = target as Getter;
      const cutset = new Set(Array.from((replacement as string | undefined) ?? ' '));
      return (ctx) => {
        const v = g(ctx);
        if (v === null) return null;
        if (typeof v !== 'string') throw new OttlRuntimeError(`Trim expects a string, got ${describe(v)}`);
        const chars = Array.from(v);
        let start = 0;
        let end = chars.length;
        while (start < end && cutset.has(chars[start]!)) start++;
        while (end > start && cutset.has(chars[end - 1]!)) end--;
        return chars.slice(start, end).join('');
      };
    },
  },
};
