import type { KeyValue } from '../../pdata/model.js';
import type { TransformContext } from '../context.js';
import { OttlRuntimeError } from '../errors.js';
import type { Accessor, Getter } from '../paths.js';
import { putKv } from '../paths.js';
import { compileGoRegex, globalOf, globToRegex, goReplacer } from '../regex.js';
import { requiredLiteral } from '../regex-plan.js';
import { asStringLike, copyAny, fromAny, OttlMap, typeName } from '../value.js';
import { applyFunction, checkFormatLiteral, replaceThroughFunction } from './replace-function.js';
import type { Editor, FunctionDef, StringFunction } from './types.js';

/** OTTL editors (pkg/ottl/ottlfuncs): functions that change telemetry in place. */

const path = (name: string) => ({ name, kind: 'path' as const });
const getter = (name: string) => ({ name, kind: 'getter' as const });
const literal = (name: string) => ({ name, kind: 'string' as const });
/**
 * The arguments every replace editor shares, typed: the target, the replacement getter, and the
 * optional `function` with its `replacementFormat`; `whole` is a replacement for a whole value,
 * passed through that function when one is given.
 */
function replaceParts(target: unknown, replacement: unknown, fn: unknown, format: unknown) {
  const f = fn as StringFunction | undefined;
  const fmt = format as Getter | undefined;
  const whole = (rep: string, ctx: TransformContext) => (f ? applyFunction(f, rep, fmt?.(ctx), ctx) : rep);
  return { t: target as Accessor, r: replacement as Getter, f, fmt, whole };
}

/** The replace editors' optional `function` (a converter such as SHA256) and its output format. */
const replaceFunctionParams = [
  { name: 'function', kind: 'function' as const, optional: true },
  { name: 'replacementFormat', kind: 'getter' as const, optional: true },
];

/**
 * The map a map editor works on. A nil target is a no-op (nothing to edit); a target that holds
 * something other than a map is an error, as in the Collector.
 */
export function targetMap(target: Accessor, ctx: TransformContext, create = false): KeyValue[] | undefined {
  const kvs = target.map?.(ctx, create);
  if (kvs) return kvs;
  const v = target.get(ctx);
  if (v !== null && !(v instanceof OttlMap)) throw new OttlRuntimeError(`expected a map but got ${typeName(v)}`);
  return undefined;
}

function removeWhere(kvs: KeyValue[], drop: (kv: KeyValue) => boolean): void {
  let w = 0;
  for (let r = 0; r < kvs.length; r++) if (!drop(kvs[r])) kvs[w++] = kvs[r];
  kvs.length = w;
}

function replaceIn(s: string, re: RegExp, replacement: string): string {
  return s.replace(re, goReplacer(replacement));
}

/** delete_matching_keys (`keep` false) and keep_matching_keys: the keys `pattern` matches go, or stay. */
function matchingKeys(keep: boolean): FunctionDef<Editor> {
  return {
    params: [path('target'), literal('pattern')],
    build: ([target, pattern]) => {
      const t = target as Accessor;
      const re = compileGoRegex(pattern as string);
      return (ctx) => {
        const kvs = targetMap(t, ctx);
        if (kvs) removeWhere(kvs, (kv) => re.test(kv.key) !== keep);
      };
    },
  };
}

export const EDITORS: Record<string, FunctionDef<Editor>> = {
  set: {
    params: [path('target'), getter('value')],
    build: ([target, value]) => {
      const set = (target as Accessor).set;
      const g = value as Getter;
      return (ctx) => {
        const v = g(ctx);
        // Setting nil is a no-op (ottlfuncs set: "If value resolves to nil ... no action").
        if (v !== null) set(ctx, v);
      };
    },
  },
  delete_key: {
    params: [path('target'), getter('key')],
    build: ([target, key]) => {
      const t = target as Accessor;
      const k = key as Getter;
      return (ctx) => {
        const kvs = targetMap(t, ctx);
        const name = k(ctx);
        if (kvs && typeof name === 'string') removeWhere(kvs, (kv) => kv.key === name);
      };
    },
  },
  delete_matching_keys: matchingKeys(false),
  keep_keys: {
    params: [path('target'), { name: 'keys', kind: 'stringList' }],
    build: ([target, keys]) => {
      const t = target as Accessor;
      const keep = new Set(keys as string[]);
      return (ctx) => {
        const kvs = targetMap(t, ctx);
        if (kvs) removeWhere(kvs, (kv) => !keep.has(kv.key));
      };
    },
  },
  keep_matching_keys: matchingKeys(true),
  replace_pattern: {
    params: [path('target'), literal('regex'), getter('replacement'), ...replaceFunctionParams],
    build: ([target, regex, replacement, fn, format]) => {
      const { t, r, f, fmt } = replaceParts(target, replacement, fn, format);
      const re = globalOf(compileGoRegex(regex as string));
      // A text without the literal every match needs is left without running the regex (regex-plan.ts).
      const literal = requiredLiteral(re);
      return (ctx) => {
        const v = t.get(ctx);
        if (typeof v !== 'string') return;
        const rep = r(ctx);
        if (typeof rep !== 'string') throw new OttlRuntimeError(`replacement must be a string, got ${typeName(rep)}`);
        if (literal !== undefined && !v.includes(literal)) return;
        re.lastIndex = 0;
        if (!re.test(v)) return;
        re.lastIndex = 0;
        t.set(ctx, f ? replaceThroughFunction(v, re, rep, f, fmt?.(ctx), ctx) : replaceIn(v, re, rep));
      };
    },
  },
  replace_all_patterns: {
    params: [path('target'), literal('mode'), literal('regex'), getter('replacement'), ...replaceFunctionParams],
    build: ([target, mode, regex, replacement, fn, format]) => {
      if (mode !== 'key' && mode !== 'value') throw new Error(`invalid mode "${mode as string}", expected "key" or "value"`);
      const { t, r, f, fmt } = replaceParts(target, replacement, fn, format);
      const re = globalOf(compileGoRegex(regex as string));
      const test = compileGoRegex(regex as string);
      return (ctx) => {
        const kvs = targetMap(t, ctx);
        if (!kvs) return;
        const rep = r(ctx);
        if (typeof rep !== 'string') throw new OttlRuntimeError(`replacement must be a string, got ${typeName(rep)}`);
        const formatValue = fmt?.(ctx);
        if (f) checkFormatLiteral(formatValue);
        const replace = (s: string) => (f ? replaceThroughFunction(s, re, rep, f, formatValue, ctx) : replaceIn(s, re, rep));
        for (const kv of kvs) {
          if (mode === 'key') {
            if (test.test(kv.key)) kv.key = replace(kv.key);
          } else if (kv.value?.stringValue !== undefined && test.test(kv.value.stringValue)) {
            kv.value = { stringValue: replace(kv.value.stringValue) };
          }
        }
        // Renaming can make two keys equal; the later one wins, as when the Collector rebuilds the map.
        if (mode === 'key') dedupeKeys(kvs);
      };
    },
  },
  replace_match: {
    params: [path('target'), literal('pattern'), getter('replacement'), ...replaceFunctionParams],
    build: ([target, pattern, replacement, fn, format]) => {
      const { t, r, whole } = replaceParts(target, replacement, fn, format);
      const glob = globToRegex(pattern as string);
      return (ctx) => {
        const v = t.get(ctx);
        const rep = r(ctx);
        if (typeof v !== 'string' || typeof rep !== 'string' || !glob.test(v)) return;
        t.set(ctx, whole(rep, ctx));
      };
    },
  },
  replace_all_matches: {
    params: [path('target'), literal('pattern'), getter('replacement'), ...replaceFunctionParams],
    build: ([target, pattern, replacement, fn, format]) => {
      const { t, r, whole } = replaceParts(target, replacement, fn, format);
      const glob = globToRegex(pattern as string);
      return (ctx) => {
        const kvs = targetMap(t, ctx);
        const rep = r(ctx);
        if (!kvs || typeof rep !== 'string') return;
        let value: string | undefined;
        for (const kv of kvs) {
          if (kv.value?.stringValue === undefined || !glob.test(kv.value.stringValue)) continue;
          value ??= whole(rep, ctx);
          kv.value = { stringValue: value };
        }
      };
    },
  },
  merge_maps: {
    params: [path('target'), getter('source'), literal('strategy')],
    build: ([target, source, strategy]) => {
      if (strategy !== 'insert' && strategy !== 'update' && strategy !== 'upsert') {
        throw new Error(`invalid strategy "${strategy as string}", expected one of insert, update, upsert`);
      }
      const t = target as Accessor;
      const s = source as Getter;
      return (ctx) => {
        const src = s(ctx);
        if (src === null) return;
        if (!(src instanceof OttlMap)) throw new OttlRuntimeError(`merge_maps source must be a map, got ${typeName(src)}`);
        const kvs = targetMap(t, ctx, true);
        if (!kvs) return;
        const incoming = src.kvs.slice();
        for (const kv of incoming) {
          const exists = kvs.some((x) => x.key === kv.key);
          if ((strategy === 'insert' && exists) || (strategy === 'update' && !exists)) continue;
          putKv(kvs, kv.key, kv.value ? copyAny(kv.value) : {});
        }
      };
    },
  },
  /**
   * Every value of the map as its string form, as the `String` converter writes it (numbers and
   * booleans as text, bytes as hex, maps and lists as JSON); empty values are left empty. For
   * backends that index every attribute as a string.
   */
  stringify_all: {
    params: [path('target')],
    build: ([target]) => {
      const t = target as Accessor;
      return (ctx) => {
        const kvs = targetMap(t, ctx);
        if (!kvs) return;
        for (const kv of kvs) {
          if (!kv.value || kv.value.stringValue !== undefined) continue;
          const s = asStringLike(fromAny(kv.value));
          if (s !== null) kv.value = { stringValue: s };
        }
      };
    },
  },
  truncate_all: {
    params: [path('target'), { name: 'limit', kind: 'int' }],
    build: ([target, limit]) => {
      const n = limit as bigint;
      if (n < 0n) throw new Error(`invalid limit ${n}: it must not be negative`);
      const t = target as Accessor;
      const max = Number(n);
      return (ctx) => {
        const kvs = targetMap(t, ctx);
        if (!kvs) return;
        for (const kv of kvs) {
          const s = kv.value?.stringValue;
          // Cut by code points: a cut inside a surrogate pair would leave an invalid string.
          if (s !== undefined && s.length > max) {
            const chars = Array.from(s);
            if (chars.length > max) kv.value = { stringValue: chars.slice(0, max).join('') };
          }
        }
      };
    },
  },
  limit: {
    params: [path('target'), { name: 'limit', kind: 'int' }, { name: 'priority_keys', kind: 'stringList' }],
    build: ([target, limit, priority]) => {
      const n = limit as bigint;
      const keys = priority as string[];
      if (n < 0n) throw new Error(`invalid limit ${n}: it must not be negative`);
      if (BigInt(keys.length) > n) throw new Error(`${keys.length} priority keys are more than the limit ${n}`);
      const t = target as Accessor;
      const max = Number(n);
      const prio = new Set(keys);
      return (ctx) => {
        const kvs = targetMap(t, ctx);
        if (!kvs || kvs.length <= max) return;
        const kept = new Set<KeyValue>();
        for (const kv of kvs) if (prio.has(kv.key)) kept.add(kv);
        for (const kv of kvs) {
          if (kept.size >= max) break;
          kept.add(kv);
        }
        removeWhere(kvs, (kv) => !kept.has(kv));
      };
    },
  },
};

function dedupeKeys(kvs: KeyValue[]): void {
  const last = new Map<string, number>();
  kvs.forEach((kv, i) => last.set(kv.key, i));
  if (last.size === kvs.length) return;
  let i = 0;
  removeWhere(kvs, (kv) => last.get(kv.key) !== i++);
}
