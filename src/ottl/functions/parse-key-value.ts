import { OttlRuntimeError } from '../errors.js';
import type { Getter } from '../paths.js';
import { OttlMap, toAny } from '../value.js';
import { describe, getter } from './converter-kit.js';
import type { Converter, FunctionDef } from './types.js';

/**
 * `ParseKeyValue(target, delimiter = "=", pair_delimiter = " ")`, as the Collector's: pairs are
 * split on `pair_delimiter` outside single or double quotes (the quotes are dropped), each pair on
 * its first `delimiter`; keys and values are trimmed, and a later key wins. A pair without the
 * delimiter, an unclosed quote or an empty target is a statement error.
 */
export const ParseKeyValue: FunctionDef<Converter> = {
  params: [getter('target'), { name: 'delimiter', kind: 'string', optional: true }, { name: 'pair_delimiter', kind: 'string', optional: true }],
  build: ([target, delimiterArg, pairDelimiterArg]) => {
    const delimiter = (delimiterArg as string | undefined) ?? '=';
    const pairDelimiter = (pairDelimiterArg as string | undefined) ?? ' ';
    if (delimiter === '') throw new Error('ParseKeyValue: delimiter cannot be set to an empty string');
    if (pairDelimiter === '') throw new Error('ParseKeyValue: pair delimiter cannot be set to an empty string');
    if (delimiter === pairDelimiter) throw new Error(`ParseKeyValue: pair delimiter "${pairDelimiter}" cannot be equal to delimiter "${delimiter}"`);
    const g = target as Getter;
    return (ctx) => {
      const source = g(ctx);
      if (typeof source !== 'string') throw new OttlRuntimeError(`ParseKeyValue expects a string, got ${describe(source)}`);
      if (source === '') throw new OttlRuntimeError('ParseKeyValue: cannot parse from empty target');
      const parsed = new Map<string, string>();
      for (const pair of splitOutsideQuotes(source, pairDelimiter)) {
        const at = pair.indexOf(delimiter);
        if (at < 0) throw new OttlRuntimeError(`ParseKeyValue: cannot split "${pair}" into 2 items, got 1 item(s)`);
        const key = pair.slice(0, at).trim();
        parsed.delete(key);
        parsed.set(key, pair.slice(at + delimiter.length).trim());
      }
      return new OttlMap([...parsed].map(([key, value]) => ({ key, value: toAny(value) })));
    };
  },
};

/** Splits on `delimiter` outside quotes, dropping the quote characters and empty pieces. */
function splitOutsideQuotes(input: string, delimiter: string): string[] {
  const pieces: string[] = [];
  let current = '';
  let quote = '';
  for (let i = 0; i < input.length; i++) {
    if (quote === '' && input.startsWith(delimiter, i)) {
      if (current !== '') pieces.push(current);
      current = '';
      i += delimiter.length - 1;
      continue;
    }
    const c = input[i]!;
    if (quote === '' && (c === '"' || c === "'")) quote = c;
    else if (c === quote) quote = '';
    else current += c;
  }
  if (quote !== '') throw new OttlRuntimeError('ParseKeyValue: splitting the target into pairs failed: never reached the end of a quoted value');
  if (current !== '') pieces.push(current);
  return pieces;
}
