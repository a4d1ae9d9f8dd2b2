/**
 * Go's time.Duration, the one duration syntax of the gateway: config values (`timeout: 1m30s`,
 * `.5s`, `1µs`) and OTTL (`Duration("1h30m")`, `time - time`) read the same text the same way, as
 * the Collector does. Nanoseconds as an int64, read and written in Go's notation.
 */

const UNIT_NANOS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n, // U+00B5 micro sign
  'μs': 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const MAX_INT64 = (1n << 63n) - 1n;

/** time.ParseDuration: `[-+]` then one or more `<decimal><unit>` ("1h30m", "-1.5s", "300ms"); "0" alone. */
export function parseDuration(text: string): bigint | Error {
  const bad = () => new Error(`invalid duration "${text}"`);
  let rest = text;
  let negative = false;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    negative = rest[0] === '-';
    rest = rest.slice(1);
  }
  if (rest === '0') return 0n;
  if (rest === '') return bad();
  let total = 0n;
  const term = /^(\d*)(?:\.(\d*))?([a-zµμ]+)/;
  while (rest !== '') {
    const m = term.exec(rest);
    if (!m || (m[1] === '' && (m[2] ?? '') === '')) return bad();
    const per = UNIT_NANOS[m[3]!];
    if (per === undefined) return new Error(`unknown unit "${m[3]}" in duration "${text}"`);
    const whole = BigInt(m[1] || '0') * per;
    // The fraction, to the nanosecond (digits past that are dropped, as Go's are).
    const digits = m[2] ?? '';
    const fraction = digits === '' ? 0n : (BigInt(digits) * per) / 10n ** BigInt(digits.length);
    total += whole + fraction;
    if (total > MAX_INT64) return bad();
    rest = rest.slice(m[0].length);
  }
  return negative ? -total : total;
}

/** A Go duration as (possibly fractional) milliseconds, or the parse error. */
export function parseDurationMillis(text: string): number | Error {
  const nanos = parseDuration(text.trim());
  return typeof nanos === 'bigint' ? Number(nanos) / 1e6 : nanos;
}

/** Duration.String: "1h2m3.5s", "1.5ms", "0s". */
export function formatDuration(nanos: bigint): string {
  if (nanos === 0n) return '0s';
  const sign = nanos < 0n ? '-' : '';
  const u = nanos < 0n ? -nanos : nanos;
  if (u < 1_000_000_000n) {
    // Below a second: the largest unit that keeps a whole part, with a fraction.
    const [per, unit] = u < 1_000n ? [1n, 'ns'] : u < 1_000_000n ? [1_000n, 'µs'] : [1_000_000n, 'ms'];
    return `${sign}${decimal(u, per)}${unit}`;
  }
  const hours = u / 3_600_000_000_000n;
  const minutes = (u / 60_000_000_000n) % 60n;
  const seconds = decimal(u % 60_000_000_000n, 1_000_000_000n);
  if (hours > 0n) return `${sign}${hours}h${minutes}m${seconds}s`;
  if (minutes > 0n) return `${sign}${minutes}m${seconds}s`;
  return `${sign}${seconds}s`;
}

/** `value / per` written with the fraction's trailing zeros dropped. */
function decimal(value: bigint, per: bigint): string {
  const whole = value / per;
  const fraction = value % per;
  if (fraction === 0n) return whole.toString();
  const width = per.toString().length - 1;
  return `${whole}.${fraction.toString().padStart(width, '0').replace(/0+$/, '')}`;
}
