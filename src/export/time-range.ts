import { parseDurationMs } from '../config/types.js';

/**
 * Time arguments of an export (`--from`, `--to`, the MCP `timeRange`): RFC 3339, epoch
 * milliseconds, `now`, or relative to now (`-24h`, `-7d`, `-90m`). Relative times are resolved
 * once, when the job is created, so a resumed job reads exactly the range it started with.
 */

const DAY_MS = 86_400_000;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})$/;

export class TimeRangeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TimeRangeError';
  }
}

/** One time argument → epoch ms. */
export function parseTime(text: string | number, nowMs: number, what = 'time'): number {
  if (typeof text === 'number') {
    if (Number.isSafeInteger(text) && text >= 0) return text;
    throw new TimeRangeError(`${what}: expected epoch milliseconds, got ${text}`);
  }
  const t = text.trim();
  if (t === 'now') return nowMs;
  if (/^\d{10,16}$/.test(t)) return Number(t);
  const rel = /^-(.+)$/.exec(t);
  if (rel) {
    const ms = relativeMs(rel[1]);
    if (ms !== undefined) return nowMs - ms;
  }
  if (RFC3339.test(t)) {
    const ms = Date.parse(t);
    if (!Number.isNaN(ms)) return ms;
  }
  throw new TimeRangeError(`${what}: expected RFC 3339 (2026-12-01T00:00:00Z), epoch ms, "now" or a relative time like "-24h", got ${JSON.stringify(text)}`);
}

/** "24h", "7d", "1h30m": days are accepted on top of the Collector's duration units. */
export function relativeMs(text: string): number | undefined {
  const days = /^(\d+)d(.*)$/.exec(text);
  if (days) {
    const rest = days[2] === '' ? 0 : parseDurationMs(days[2]);
    return rest === undefined ? undefined : Number(days[1]) * DAY_MS + rest;
  }
  const ms = parseDurationMs(text);
  return ms === undefined || ms <= 0 ? undefined : ms;
}

export interface TimeRange {
  fromMs: number;
  toMs: number;
}

/** `from` inclusive, `to` exclusive; both required, `from` before `to`. */
export function parseRange(from: string | number | undefined, to: string | number | undefined, nowMs = Date.now()): TimeRange {
  if (from === undefined) throw new TimeRangeError('from: required (RFC 3339, epoch ms, "now" or relative like "-24h")');
  const fromMs = parseTime(from, nowMs, 'from');
  const toMs = to === undefined ? nowMs : parseTime(to, nowMs, 'to');
  if (fromMs >= toMs) throw new TimeRangeError(`from (${new Date(fromMs).toISOString()}) must be before to (${new Date(toMs).toISOString()})`);
  return { fromMs, toMs };
}
