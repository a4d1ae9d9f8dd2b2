/**
 * The ctime-like time formats of OTTL's `Time` and `FormatTime` (the Collector's ctimefmt
 * directives: `%Y-%m-%dT%H:%M:%S%z`, ...). A format is compiled once, at start: to a parser (one
 * regular expression, fields read from its groups) and a formatter. Text is read in the offset it
 * carries, else in the location given, else in UTC; the time keeps that zone, and the formatter
 * writes the wall clock there (time-zone.ts). Written here rather than taken from a date library:
 * the directive set is the Collector's, not strftime's, and it is small.
 */

import { fixedZone, formatOffset, UTC_ZONE, wallClock, wallToUnixMs, type WallClock, type Zone } from './time-zone.js';

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const SHORT_MONTHS = MONTHS.map((n) => n.slice(0, 3));
const SHORT_DAYS = DAYS.map((n) => n.slice(0, 3));

/** Directives that stand for others (the Collector's composites). */
const COMPOSITES: Record<string, string> = {
  '%D': '%m/%d/%y',
  '%x': '%m/%d/%y',
  '%F': '%Y-%m-%d',
  '%T': '%H:%M:%S',
  '%X': '%H:%M:%S',
  '%r': '%I:%M:%S %P',
  '%R': '%H:%M',
  '%c': '%a %b %d %H:%M:%S %Y',
};
const LITERALS: Record<string, string> = { '%n': '\n', '%t': '\t', '%%': '%' };

type Field = 'year' | 'year2' | 'month' | 'monthName' | 'day' | 'weekday' | 'hour' | 'hour12' | 'ampm' | 'minute' | 'second' | 'fraction' | 'offset' | 'zone';

interface Directive {
  field: Field;
  pattern: string;
  format: (p: Parts) => string;
}

interface Parts extends WallClock {
  /** The zone's name at this time. */
  zone: string;
}

const pad = (n: number, width: number, fill = '0') => String(n).padStart(width, fill);
const hour12 = (h: number) => (h % 12 === 0 ? 12 : h % 12);
const names = (list: string[]) => list.join('|');

const DIRECTIVES: Record<string, Directive> = {
  '%Y': { field: 'year', pattern: '\\d{4}', format: (p) => pad(p.year, 4) },
  '%y': { field: 'year2', pattern: '\\d{2}', format: (p) => pad(p.year % 100, 2) },
  '%m': { field: 'month', pattern: '\\d{2}', format: (p) => pad(p.month, 2) },
  '%o': { field: 'month', pattern: '[ \\d]\\d', format: (p) => pad(p.month, 2, ' ') },
  '%q': { field: 'month', pattern: '\\d{1,2}', format: (p) => String(p.month) },
  '%b': { field: 'monthName', pattern: names(SHORT_MONTHS), format: (p) => SHORT_MONTHS[p.month - 1]! },
  '%h': { field: 'monthName', pattern: names(SHORT_MONTHS), format: (p) => SHORT_MONTHS[p.month - 1]! },
  '%B': { field: 'monthName', pattern: names(MONTHS), format: (p) => MONTHS[p.month - 1]! },
  '%d': { field: 'day', pattern: '\\d{2}', format: (p) => pad(p.day, 2) },
  '%e': { field: 'day', pattern: '[ \\d]\\d', format: (p) => pad(p.day, 2, ' ') },
  '%g': { field: 'day', pattern: '\\d{1,2}', format: (p) => String(p.day) },
  '%a': { field: 'weekday', pattern: names(SHORT_DAYS), format: (p) => SHORT_DAYS[p.weekday]! },
  '%A': { field: 'weekday', pattern: names(DAYS), format: (p) => DAYS[p.weekday]! },
  '%H': { field: 'hour', pattern: '\\d{2}', format: (p) => pad(p.hour, 2) },
  '%I': { field: 'hour12', pattern: '\\d{2}', format: (p) => pad(hour12(p.hour), 2) },
  '%l': { field: 'hour12', pattern: '\\d{1,2}', format: (p) => String(hour12(p.hour)) },
  '%p': { field: 'ampm', pattern: 'AM|PM', format: (p) => (p.hour < 12 ? 'AM' : 'PM') },
  '%P': { field: 'ampm', pattern: 'am|pm', format: (p) => (p.hour < 12 ? 'am' : 'pm') },
  '%M': { field: 'minute', pattern: '\\d{2}', format: (p) => pad(p.minute, 2) },
  '%S': { field: 'second', pattern: '\\d{2}', format: (p) => pad(p.second, 2) },
  // Fractions: any number of digits is read (as Go does); written zero-padded to the unit.
  '%L': { field: 'fraction', pattern: '\\d{1,9}', format: (p) => pad(Math.floor(p.nanos / 1e6), 3) },
  '%f': { field: 'fraction', pattern: '\\d{1,9}', format: (p) => pad(Math.floor(p.nanos / 1e3), 6) },
  '%s': { field: 'fraction', pattern: '\\d{1,9}', format: (p) => pad(p.nanos, 9) },
  '%z': { field: 'offset', pattern: 'Z|[+-]\\d{4}', format: (p) => formatOffset(p.offset, 'hhmm') },
  '%w': { field: 'offset', pattern: 'Z|[+-]\\d{6}', format: (p) => formatOffset(p.offset, 'hhmmss') },
  '%i': { field: 'offset', pattern: 'Z|[+-]\\d{2}', format: (p) => formatOffset(p.offset, 'hh') },
  '%j': { field: 'offset', pattern: 'Z|[+-]\\d{2}:\\d{2}', format: (p) => formatOffset(p.offset, 'hh:mm') },
  '%k': { field: 'offset', pattern: 'Z|[+-]\\d{2}:\\d{2}:\\d{2}', format: (p) => formatOffset(p.offset, 'hh:mm:ss') },
  '%Z': { field: 'zone', pattern: '[A-Z]{3,5}', format: (p) => p.zone },
};

type Piece = { literal: string } | { directive: Directive };

/** Splits a format into literals and directives; throws a clear error for what it cannot use. */
function compile(format: string): Piece[] {
  if (/\d/.test(format)) throw new Error('a time format must not contain digits (as in the Collector)');
  const pieces: Piece[] = [];
  const expanded = format.replace(/%./g, (d) => COMPOSITES[d] ?? d);
  for (let i = 0; i < expanded.length; i++) {
    const c = expanded[i]!;
    if (c !== '%') {
      pieces.push({ literal: c });
      continue;
    }
    const d = expanded.slice(i, i + 2);
    i++;
    if (LITERALS[d] !== undefined) pieces.push({ literal: LITERALS[d]! });
    else if (DIRECTIVES[d]) pieces.push({ directive: DIRECTIVES[d]! });
    else throw new Error(`unsupported time format directive "${d}"`);
  }
  return pieces;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export interface ParsedTime {
  /** Nanoseconds since the Unix epoch. */
  unixNano: bigint;
  /** The offset the text carried, else the location it was read in. */
  zone: Zone;
}

export interface CtimeParser {
  /** The time, or an Error saying why the text does not match. */
  (text: string): ParsedTime | Error;
}

/**
 * A parser for `format`, reading text without an offset in `location` (UTC when absent); throws
 * (at start) for a format it cannot use.
 */
export function ctimeParser(format: string, location: Zone = UTC_ZONE): CtimeParser {
  const pieces = compile(format);
  const fields: Field[] = [];
  const source = pieces.map((p) => ('literal' in p ? escape(p.literal) : (fields.push(p.directive.field), `(${p.directive.pattern})`))).join('');
  const re = new RegExp(`^${source}$`);
  return (text) => {
    const m = re.exec(text);
    if (!m) return new Error(`"${text}" does not match the time format "${format}"`);
    const got: Partial<Record<Field, string>> = {};
    fields.forEach((f, i) => (got[f] = m[i + 1]!));
    return toTime(got, text, format, location);
  };
}

function toTime(got: Partial<Record<Field, string>>, text: string, format: string, location: Zone): ParsedTime | Error {
  const num = (s: string | undefined, fallback: number) => (s === undefined ? fallback : Number(s.trim()));
  let year = num(got.year, NaN);
  if (Number.isNaN(year)) year = got.year2 === undefined ? 0 : 2000 + Number(got.year2) - (Number(got.year2) >= 69 ? 100 : 0);
  let month = num(got.month, 1);
  if (got.monthName !== undefined) month = MONTHS.findIndex((n) => n.startsWith(got.monthName!)) + 1;
  const day = num(got.day, 1);
  let hour = num(got.hour, 0);
  if (got.hour12 !== undefined) {
    hour = Number(got.hour12) % 12;
    if (got.ampm?.toLowerCase() === 'pm') hour += 12;
  }
  const minute = num(got.minute, 0);
  const second = num(got.second, 0);
  const nanos = got.fraction === undefined ? 0 : Number(got.fraction.padEnd(9, '0'));
  const offsetSeconds = got.offset === undefined ? undefined : got.offset === 'Z' ? 0 : parseOffset(got.offset);
  // setUTCFullYear, unlike Date.UTC, keeps years 0-99 as they are.
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59 || d.getUTCDate() !== day || d.getUTCMonth() !== month - 1) {
    return new Error(`"${text}" is not a valid time for the format "${format}"`);
  }
  const zone = offsetSeconds === undefined ? location : fixedZone(offsetSeconds);
  const unixMs = offsetSeconds === undefined ? wallToUnixMs(location, d.getTime()) : d.getTime() - offsetSeconds * 1000;
  return { unixNano: (BigInt(unixMs) / 1000n) * 1_000_000_000n + BigInt(nanos), zone };
}

function parseOffset(text: string): number {
  const sign = text.startsWith('-') ? -1 : 1;
  const digits = text.slice(1).replace(/:/g, '');
  const h = Number(digits.slice(0, 2));
  const m = Number(digits.slice(2, 4) || '0');
  const s = Number(digits.slice(4, 6) || '0');
  return sign * (h * 3600 + m * 60 + s);
}

/** A formatter for `format`, writing the wall clock in `zone`; throws (at start) for a format it cannot use. */
export function ctimeFormatter(format: string): (unixNano: bigint, zone?: Zone) => string {
  const pieces = compile(format);
  // The zone's name costs a lookup in the time-zone data: only for a format that writes it.
  const writesZone = pieces.some((p) => 'directive' in p && p.directive.field === 'zone');
  return (unixNano, zone = UTC_ZONE) => {
    const wall = wallClock(unixNano, zone);
    const parts: Parts = { ...wall, zone: writesZone ? zone.nameAt(Number(unixNano / 1_000_000n)) : '' };
    return pieces.map((p) => ('literal' in p ? p.literal : p.directive.format(parts))).join('');
  };
}
