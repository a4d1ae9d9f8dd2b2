import { PermanentError } from '../../errors.js';

/**
 * Strict checks on what a Make HTTP module pushes, run before any mapping so that a bad request is
 * refused whole with a 400 that names the field, instead of being accepted with `NaN`, a 1970
 * timestamp, or a value the OTLP encoder later rejects (a RangeError on an int64, a stack
 * overflow on deep nesting) and dead-letters downstream.
 */

/** The gateway's AnyValue nesting limit (docs/make-receiver.md, "Webhook validation"). */
export const MAX_ANY_VALUE_DEPTH = 64;
const INT64_MAX = 2 ** 63; // first double above int64's maximum (2^63 − 1 is not representable)
const INT64_MIN = -(2 ** 63);

/** Make's execution status, as a number (scenario logs) or the name the receiver maps it to. */
export const EXECUTION_STATUS: Record<string, number> = { pending: 0, success: 1, warning: 2, error: 3 };

/** Epoch seconds from 2001-09-09 up to epoch ms of year 5138: between, the unit is unambiguous. */
const EPOCH_SECONDS_MIN = 1e9;
const EPOCH_MS_MIN = 1e11;
const EPOCH_MS_MAX = 1e14;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

export class PayloadInvalid extends PermanentError {
  constructor(
    readonly field: string,
    why: string,
  ) {
    super(`${field}: ${why}`, 'PAYLOAD_INVALID');
  }
}

/**
 * Epoch ms of an RFC 3339 text or epoch seconds / milliseconds (number or digit string), told
 * apart by magnitude; anything else (including dates before 2001, which would be a unit mistake
 * or a 1970 default) throws PayloadInvalid naming `field`.
 */
export function parseWebhookTimestampMs(v: unknown, field: string): number {
  let n: number | undefined;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(v)) n = Number(v);
  else if (typeof v === 'string') {
    const ms = RFC3339.test(v.trim()) ? Date.parse(v.trim()) : NaN;
    if (Number.isNaN(ms)) throw new PayloadInvalid(field, `expected an RFC 3339 timestamp or epoch seconds/milliseconds, got ${preview(v)}`);
    return ms;
  }
  if (n === undefined || !Number.isFinite(n)) throw new PayloadInvalid(field, `expected an RFC 3339 timestamp or epoch seconds/milliseconds, got ${preview(v)}`);
  if (n >= EPOCH_SECONDS_MIN && n < EPOCH_MS_MIN) return Math.round(n * 1000);
  if (n >= EPOCH_MS_MIN && n < EPOCH_MS_MAX) return Math.round(n);
  throw new PayloadInvalid(field, `epoch ${n} is neither seconds nor milliseconds of a date after 2001`);
}

/** Every value in `v` nests at most MAX_ANY_VALUE_DEPTH deep and every integer fits int64. */
export function checkValueLimits(v: unknown, field: string): void {
  // Iterative: a hostile body nested 100k deep must not overflow our own stack either.
  const stack: { v: unknown; path: string; depth: number }[] = [{ v, path: field, depth: 1 }];
  while (stack.length > 0) {
    const { v: cur, path, depth } = stack.pop()!;
    if (typeof cur === 'number') {
      if (Number.isInteger(cur) && (cur >= INT64_MAX || cur < INT64_MIN)) throw new PayloadInvalid(path, `integer ${cur} is outside the int64 range`);
      continue;
    }
    if (typeof cur !== 'object' || cur === null) continue;
    if (depth > MAX_ANY_VALUE_DEPTH) throw new PayloadInvalid(path, `nested deeper than ${MAX_ANY_VALUE_DEPTH} levels`);
    const entries = Array.isArray(cur) ? cur.map((x, i) => [`[${i}]`, x] as const) : Object.entries(cur).map(([k, x]) => [`.${k}`, x] as const);
    for (const [suffix, child] of entries) stack.push({ v: child, path: shorten(path + suffix), depth: depth + 1 });
  }
}

/** A Make id: a positive integer, or its decimal text. */
export function parseScenarioId(v: unknown, field: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) throw new PayloadInvalid(field, `expected a positive integer scenario id, got ${preview(v)}`);
  return n;
}

/** 0–3 or pending/success/warning/error (any case). */
export function parseExecutionStatus(v: unknown, field: string): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 3) return v;
  if (typeof v === 'string') {
    const t = v.trim().toLowerCase();
    if (t in EXECUTION_STATUS) return EXECUTION_STATUS[t];
    if (/^[0-3]$/.test(t)) return Number(t);
  }
  throw new PayloadInvalid(field, `expected one of 0, 1, 2, 3, pending, success, warning, error; got ${preview(v)}`);
}

/** A count Make reports (duration ms, operations, bytes, centicredits): a non-negative number. */
export function checkCount(v: unknown, field: string): void {
  if (v === undefined || v === null) return;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new PayloadInvalid(field, `expected a non-negative number, got ${preview(v)}`);
}

function preview(v: unknown): string {
  const text = typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Paths of hostile bodies can be very long; the start and the end say where. */
function shorten(path: string): string {
  return path.length > 200 ? `${path.slice(0, 80)}…${path.slice(-80)}` : path;
}
