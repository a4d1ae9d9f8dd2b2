import { OttlRuntimeError } from '../errors.js';
import type { Getter } from '../paths.js';
import { compileGoRegex } from '../regex.js';
import { OttlMap } from '../value.js';
import { describe, getter } from './converter-kit.js';
import type { Converter, FunctionDef } from './types.js';

/**
 * `ExtractPatterns(target, pattern)`, as the Collector's: a map of the pattern's named capture
 * groups (`(?P<name>…)`) from its first match, a group that took no part as ""; an empty map when
 * nothing matches. A pattern without a named group is a configuration error.
 */
export const ExtractPatterns: FunctionDef<Converter> = {
  params: [getter('target'), { name: 'pattern', kind: 'string' }],
  build: ([target, pattern]) => {
    const re = compileGoRegex(pattern as string);
    // The group names in the order the pattern declares them (a name once).
    const names = [...new Set([...(pattern as string).matchAll(/\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>/g)].map((m) => m[1]!))];
    if (names.length === 0) throw new Error('ExtractPatterns: at least 1 named capture group must be supplied in the given regex');
    const g = target as Getter;
    return (ctx) => {
      const v = g(ctx);
      if (typeof v !== 'string') throw new OttlRuntimeError(`ExtractPatterns expects a string, got ${describe(v)}`);
      const m = re.exec(v);
      if (!m) return new OttlMap([]);
      return new OttlMap(names.map((name) => ({ key: name, value: { stringValue: m.groups?.[name] ?? '' } })));
    };
  },
};
