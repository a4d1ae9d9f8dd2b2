import type { TimestampConfig } from './config.js';

/**
 * stanza's timestamp parsing: `strptime` layouts (%Y-%m-%d %H:%M:%S.%L %z ...), Go reference
 * layouts (`gotime`: 2006-01-02T15:04:05.000Z07:00) translated to the same directives, and `epoch`
 * (s, ms, us, ns, s.ms, s.us, s.ns). A layout without a zone reads the time in `location`: `UTC`,
 * or the process's local time (stanza's default, `Local`).
 */

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

const DIRECTIVES: Record<string, [name: string, pattern: string]> = {
  Y: ['year', '\\d{4}'],
  y: ['year2', '\\d{2}'],
  m: ['month', '\\d{1,2}'],
  d: ['day', '\\d{1,2}'],
  e: ['day', ' ?\\d{1,2}'],
  H: ['hour', '\\d{1,2}'],
  I: ['hour12', '\\d{1,2}'],
  p: ['ampm', '[AaPp][Mm]'],
  M: ['minute', '\\d{2}'],
  S: ['second', '\\d{2}'],
  L: ['fraction', '\\d+'],
  f: ['fraction', '\\d+'],
  s: ['fraction', '\\d+'],
  z: ['zone', 'Z|[+-]\\d{2}:?\\d{2}'],
  Z: ['zonename', '[A-Za-z]{1,5}'],
  b: ['monthname', '[A-Za-z]{3}'],
  h: ['monthname', '[A-Za-z]{3}'],
  B: ['monthname', '[A-Za-z]+'],
  a: ['weekday', '[A-Za-z]{3}'],
  A: ['weekday', '[A-Za-z]+'],
};

const EXPANSIONS: Record<string, string> = { T: '%H:%M:%S', F: '%Y-%m-%d', D: '%m/%d/%y', R: '%H:%M' };

/** Go layout tokens, longest first so `2006` wins over `2` and `January` over `Jan`. */
const GO_TOKENS: [string, string][] = [
  ['January', '%B'], ['Monday', '%A'], ['Z07:00', '%z'], ['-07:00', '%z'], ['Z0700', '%z'], ['-0700', '%z'],
  ['2006', '%Y'], ['Jan', '%b'], ['Mon', '%a'], ['MST', '%Z'], ['.000000000', '.%f'], ['.999999999', '.%f'],
  ['.000000', '.%f'], ['.999999', '.%f'], ['.000', '.%f'], ['.999', '.%f'], [',000', ',%f'], ['15', '%H'],
  ['01', '%m'], ['02', '%d'], ['_2', '%e'], ['03', '%I'], ['04', '%M'], ['05', '%S'], ['06', '%y'], ['PM', '%p'],
];

export function goLayoutToStrptime(layout: string): string {
  let out = '';
  for (let i = 0; i < layout.length; ) {
    const hit = GO_TOKENS.find(([go]) => layout.startsWith(go, i));
    if (hit) {
      out += hit[1];
      i += hit[0].length;
    } else {
      out += layout[i] === '%' ? '%%' : layout[i];
      i++;
    }
  }
  return out;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function compile(layout: string): { re: RegExp; names: string[] } {
  let src = '';
  const names: string[] = [];
  const expanded = layout.replace(/%([TFDR])/g, (_, d: string) => EXPANSIONS[d]!);
  for (let i = 0; i < expanded.length; i++) {
    const c = expanded[i]!;
    if (c !== '%' || i + 1 >= expanded.length) {
      src += escape(c);
      continue;
    }
    const d = expanded[++i]!;
    if (d === '%') {
      src += '%';
      continue;
    }
    const directive = DIRECTIVES[d];
    if (!directive) throw new Error(`unsupported strptime directive %${d}`);
    names.push(directive[0]);
    src += `(${directive[1]})`;
  }
  return { re: new RegExp(`^${src}$`), names };
}

export type TimestampParser = (value: unknown) => bigint;

/** A parser for one operator's `timestamp` block; it throws on a value that does not fit. */
export function timestampParser(t: TimestampConfig): TimestampParser {
  if (t.layout_type === 'epoch') return epochParser(t.layout!);
  const { re, names } = compile(t.layout_type === 'gotime' ? goLayoutToStrptime(t.layout!) : t.layout!);
  const utc = t.location === 'UTC' || t.location === 'Etc/UTC';
  return (value) => {
    const m = typeof value === 'string' ? re.exec(value) : null;
    if (!m) throw new Error(`timestamp ${JSON.stringify(value)} does not match layout ${JSON.stringify(t.layout)}`);
    const p: Record<string, string> = {};
    names.forEach((n, i) => (p[n] = m[i + 1]!));
    const year = p.year ? Number(p.year) : p.year2 ? 2000 + Number(p.year2) : new Date().getUTCFullYear();
    const month = p.month ? Number(p.month) - 1 : p.monthname ? MONTHS.indexOf(p.monthname.slice(0, 3).toLowerCase()) : 0;
    let hour = Number(p.hour ?? p.hour12 ?? 0);
    if (p.ampm) hour = (hour % 12) + (p.ampm.toLowerCase() === 'pm' ? 12 : 0);
    const fields = [year, month, Number((p.day ?? '1').trim()), hour, Number(p.minute ?? 0), Number(p.second ?? 0)] as const;
    let ms: number;
    if (p.zone !== undefined) {
      ms = Date.UTC(...fields) - zoneOffsetMinutes(p.zone) * 60_000;
    } else if (utc || p.zonename === 'UTC' || p.zonename === 'GMT') {
      ms = Date.UTC(...fields);
    } else {
      ms = new Date(...fields).getTime();
    }
    const frac = p.fraction ? BigInt(p.fraction.padEnd(9, '0').slice(0, 9)) : 0n;
    return BigInt(ms) * 1_000_000n + frac;
  };
}

function zoneOffsetMinutes(zone: string): number {
  if (zone === 'Z') return 0;
  const digits = zone.replace(':', '');
  const sign = digits[0] === '-' ? -1 : 1;
  return sign * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5)));
}

function epochParser(layout: string): TimestampParser {
  const scale: Record<string, bigint> = { s: 1_000_000_000n, ms: 1_000_000n, us: 1_000n, ns: 1n };
  return (value) => {
    const text = typeof value === 'number' || typeof value === 'bigint' ? String(value) : typeof value === 'string' ? value : '';
    const m = /^(\d+)(?:\.(\d+))?$/.exec(text);
    if (!m) throw new Error(`timestamp ${JSON.stringify(value)} is not an epoch ${layout}`);
    const unit = layout.startsWith('s') ? 's' : layout;
    return BigInt(m[1]!) * scale[unit]! + (unit === 's' && m[2] ? BigInt(m[2].padEnd(9, '0').slice(0, 9)) : 0n);
  };
}
