import { OttlRuntimeError } from '../errors.js';
import type { Getter } from '../paths.js';
import { isList, OttlDuration, OttlMap, OttlTime, type Value } from '../value.js';
import type { ArgValue, Converter, FunctionDef, Param } from './types.js';

/**
 * What the converter files share: parameter declarations, the string converter shape, and how a
 * wrong argument is named in errors.
 */

export const getter = (name: string, optional = false) => ({ name, kind: 'getter' as const, optional });
export const literal = (name: string) => ({ name, kind: 'string' as const });

/** A converter of one value of any type (`Hex(value)`, the `Is…` type checks). */
export function valueFn(fn: (v: Value) => Value): FunctionDef<Converter> {
  return {
    params: [getter('value')],
    build: ([value]) => {
      const g = value as Getter;
      return (ctx) => fn(g(ctx));
    },
  };
}

export function stringFn(fn: (s: string) => Value): FunctionDef<Converter> {
  return {
    params: [getter('target')],
    build: ([target]) => {
      const g = target as Getter;
      return (ctx) => {
        const v = g(ctx);
        if (v === null) return null;
        if (typeof v !== 'string') throw new OttlRuntimeError(`expected a string, got ${describe(v)}`);
        return fn(v);
      };
    },
  };
}

/**
 * A converter of a string target and one literal argument (`Split(target, ",")`): nil stays nil,
 * another type fails naming the converter. `prepare` checks the literal once, at start, and
 * returns what `fn` is given.
 */
export function stringWithLiteral<A>(name: string, param: Param, prepare: (arg: ArgValue) => A, fn: (s: string, arg: A) => Value): FunctionDef<Converter> {
  return {
    params: [getter('target'), param],
    build: ([target, raw]) => {
      const g = target as Getter;
      const arg = prepare(raw);
      return (ctx) => {
        const v = g(ctx);
        if (v === null) return null;
        if (typeof v !== 'string') throw new OttlRuntimeError(`${name} expects a string, got ${describe(v)}`);
        return fn(v, arg);
      };
    },
  };
}

export function describe(v: Value): string {
  if (v === null) return 'nil';
  if (v instanceof OttlMap) return 'a map';
  if (isList(v)) return 'a list';
  if (v instanceof Uint8Array) return 'bytes';
  if (v instanceof OttlTime) return 'a time';
  if (v instanceof OttlDuration) return 'a duration';
  return typeof v === 'bigint' ? 'an int' : typeof v === 'number' ? 'a float' : `a ${typeof v}`;
}

/** Words of an identifier: split at separators, at lower→upper and at acronym→word boundaries. */
function words(s: string): string[] {
  return s
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w.length > 0);
}

/** ConvertCase's cases; ToSnakeCase and ToCamelCase are `snake` and `camel` on their own. */
export const CASES: Record<string, (s: string) => string> = {
  lower: (s) => s.toLowerCase(),
  upper: (s) => s.toUpperCase(),
  snake: (s) => words(s).map((w) => w.toLowerCase()).join('_'),
  camel: (s) => words(s).map((w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase()).join(''),
};
