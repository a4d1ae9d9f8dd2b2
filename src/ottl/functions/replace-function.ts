import type { TransformContext } from '../context.js';
import { OttlRuntimeError } from '../errors.js';
import { goReplacer } from '../regex.js';
import type { Value } from '../value.js';
import type { StringFunction } from './types.js';

/**
 * The optional `function` and `replacementFormat` arguments of the replace editors
 * (`replace_pattern(attributes["email"], "(.+)", "$$1", SHA256, "user-%s")`), with the Collector's
 * semantics (ottlfuncs applyOptReplaceFunction, applyReplaceFormat).
 */

const FORMAT_ERROR = 'replacementFormat must be format string containing a single %s and no other format specifiers';

/** `format` with the value put in for its `%s`, as Go's Sprintf does; no format: the value. */
export function formatReplacement(format: Value | undefined, value: string): string {
  if (format === undefined) return value;
  if (typeof format !== 'string' || !format.includes('%s') || /%[^s]/.test(format)) throw new OttlRuntimeError(FORMAT_ERROR);
  // Sprintf fills the first %s; any further one has no operand.
  let filled = false;
  return format.replace(/%s/g, () => (filled ? '%!s(MISSING)' : ((filled = true), value)));
}

/** A literal string format known when the statement is built: refuse a bad one then. */
export function checkFormatLiteral(format: Value | undefined): void {
  if (typeof format === 'string') formatReplacement(format, '');
}

/** The function's result for one replacement, which must be a string, formatted. */
export function applyFunction(fn: StringFunction, input: string, format: Value | undefined, ctx: TransformContext): string {
  const out = fn(input, ctx);
  if (typeof out !== 'string') throw new OttlRuntimeError('the replacement value must be a string');
  return formatReplacement(format, out);
}

/**
 * For each match of `re` (global) in `s`: expand `template` against it ($1, ${name}), pass that
 * through the function, and replace every occurrence of the matched text with the result.
 */
export function replaceThroughFunction(s: string, re: RegExp, template: string, fn: StringFunction, format: Value | undefined, ctx: TransformContext): string {
  const expand = goReplacer(template);
  let updated = s;
  re.lastIndex = 0;
  for (const m of s.matchAll(re)) {
    const expanded = m.groups ? expand(m[0], ...m.slice(1), m.index, s, m.groups) : expand(m[0], ...m.slice(1), m.index, s);
    updated = replaceAllLiteral(updated, m[0], applyFunction(fn, expanded, format, ctx));
  }
  return updated;
}

/** Go's strings.ReplaceAll: an empty `old` matches before every character and at the end. */
function replaceAllLiteral(s: string, old: string, replacement: string): string {
  if (old !== '') return s.split(old).join(replacement);
  return replacement + [...s].join(replacement) + replacement;
}
