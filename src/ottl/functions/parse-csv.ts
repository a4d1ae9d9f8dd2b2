import { OttlRuntimeError } from '../errors.js';
import type { Getter } from '../paths.js';
import { OttlMap } from '../value.js';
import { describe, getter } from './converter-kit.js';
import type { Converter, FunctionDef } from './types.js';

/**
 * OTTL's ParseCSV(target, headers[, delimiter[, headerDelimiter[, mode]]]): one CSV row as a map
 * of header → field. Modes as the Collector's: `strict` (RFC 4180 quoting, Go's encoding/csv),
 * `lazyQuotes` (a quote inside a field is kept), `ignoreQuotes` (quotes are ordinary characters).
 * A row with another number of fields than headers fails the statement.
 */

type Mode = 'strict' | 'lazyQuotes' | 'ignoreQuotes';

/** Splits one row; throws on a bare quote in strict mode or an unterminated quoted field. */
export function splitCsvRow(row: string, delimiter: string, mode: Mode): string[] {
  if (mode === 'ignoreQuotes') return row.split(delimiter);
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (row.startsWith('"', i)) {
      // Quoted field: "" is a quote; the field ends at a quote followed by the delimiter or the end.
      let value = '';
      let j = i + 1;
      for (;;) {
        const q = row.indexOf('"', j);
        if (q < 0) throw new OttlRuntimeError('ParseCSV: a quoted field is not closed');
        value += row.slice(j, q);
        if (row[q + 1] === '"') {
          value += '"';
          j = q + 2;
          continue;
        }
        if (q + 1 === row.length || row.startsWith(delimiter, q + 1)) {
          j = q + 1;
          break;
        }
        if (mode === 'strict') throw new OttlRuntimeError('ParseCSV: extraneous or missing " in quoted-field');
        value += '"';
        j = q + 1;
      }
      fields.push(value);
      i = j;
    } else {
      const end = row.indexOf(delimiter, i);
      const field = end < 0 ? row.slice(i) : row.slice(i, end);
      if (mode === 'strict' && field.includes('"')) throw new OttlRuntimeError('ParseCSV: bare " in non-quoted-field');
      fields.push(field);
      i = end < 0 ? row.length : end;
    }
    if (i >= row.length) return fields;
    i += delimiter.length;
    if (i === row.length) {
      fields.push('');
      return fields;
    }
  }
}

const optional = (name: string) => ({ name, kind: 'string' as const, optional: true });

export const ParseCSV: FunctionDef<Converter> = {
  params: [getter('target'), getter('headers'), optional('delimiter'), optional('headerDelimiter'), optional('mode')],
  build: ([target, headers, delimiter, headerDelimiter, mode]) => {
    const [t, h] = [target as Getter, headers as Getter];
    const d = (delimiter as string | undefined) ?? ',';
    const hd = (headerDelimiter as string | undefined) ?? d;
    const m = ((mode as string | undefined) ?? 'strict') as Mode;
    if (d === '' || hd === '') throw new Error('delimiter and headerDelimiter must not be empty');
    if (!['strict', 'lazyQuotes', 'ignoreQuotes'].includes(m)) throw new Error(`invalid mode "${m}": expected strict, lazyQuotes or ignoreQuotes`);
    return (ctx) => {
      const row = t(ctx);
      if (row === null) return null;
      if (typeof row !== 'string') throw new OttlRuntimeError(`ParseCSV expects a string, got ${describe(row)}`);
      const names = h(ctx);
      if (typeof names !== 'string') throw new OttlRuntimeError(`ParseCSV expects headers as a string, got ${describe(names)}`);
      const keys = splitCsvRow(names, hd, m);
      const fields = splitCsvRow(row, d, m);
      if (keys.length !== fields.length) throw new OttlRuntimeError(`ParseCSV: wrong number of fields: expected ${keys.length}, found ${fields.length}`);
      return new OttlMap(keys.map((key, i) => ({ key, value: { stringValue: fields[i]! } })));
    };
  },
};
