import { SeverityNumber } from '../../../pdata/model.js';
import type { SeverityConfig } from './config.js';

/**
 * stanza's severity parsing: the default preset maps the usual level words (and their OTLP
 * `_2`…`_4` variants, e.g. `error3`) to severity numbers; `mapping` adds or replaces names:
 * `{error: [oops, 500], warn: {min: 400, max: 499}}`. The text kept is the value as written.
 */

const BASE: Record<string, number> = {
  trace: SeverityNumber.TRACE,
  debug: SeverityNumber.DEBUG,
  info: SeverityNumber.INFO,
  notice: SeverityNumber.INFO + 1,
  warn: SeverityNumber.WARN,
  warning: SeverityNumber.WARN,
  error: SeverityNumber.ERROR,
  err: SeverityNumber.ERROR,
  critical: SeverityNumber.ERROR + 1,
  crit: SeverityNumber.ERROR + 1,
  alert: SeverityNumber.ERROR + 2,
  emergency: SeverityNumber.FATAL,
  fatal: SeverityNumber.FATAL,
  panic: SeverityNumber.FATAL,
};

function levelNumber(name: string): number | undefined {
  const m = /^([a-z]+?)([234])?$/.exec(name.toLowerCase());
  if (!m) return undefined;
  const base = BASE[m[1]!];
  return base === undefined ? undefined : base + (m[2] ? Number(m[2]) - 1 : 0);
}

export type SeverityParser = (value: unknown) => { number: number; text: string };

export function severityParser(s: SeverityConfig): SeverityParser {
  const exact = new Map<string, number>();
  const ranges: { min: number; max: number; number: number }[] = [];
  if (s.preset === 'default') {
    for (const name of Object.keys(BASE)) for (const v of [name, name.toUpperCase()]) exact.set(v, BASE[name]!);
  }
  for (const [name, values] of Object.entries(s.mapping ?? {})) {
    const number = levelNumber(name);
    if (number === undefined) throw new Error(`severity mapping: unknown severity ${JSON.stringify(name)}`);
    for (const v of Array.isArray(values) ? values : [values]) {
      if (typeof v === 'object' && v !== null && 'min' in v && 'max' in v) ranges.push({ min: Number(v.min), max: Number(v.max), number });
      else exact.set(String(v).toLowerCase(), number);
    }
  }
  return (value) => {
    const text = String(value);
    const hit = exact.get(text) ?? exact.get(text.toLowerCase()) ?? (s.preset === 'default' ? levelNumber(text) : undefined);
    if (hit !== undefined) return { number: hit, text };
    const n = Number(value);
    const range = Number.isFinite(n) ? ranges.find((r) => n >= r.min && n <= r.max) : undefined;
    return { number: range?.number ?? SeverityNumber.UNSPECIFIED, text };
  };
}
