import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../src/duration.js';
import { firstRecord, logsOf, plainAttrs, transform } from './ottl/harness.js';

/** OTTL durations (Go's time.Duration): Duration(), time arithmetic, TruncateTime, the unit converters. */
const at = 1_700_000_000_123_456_789n; // 2023-11-14T22:13:20.123456789Z
const S = 1_000_000_000n;

async function run(statements: string[]) {
  const record = firstRecord(await transform(statements, logsOf([{ fields: { timeUnixNano: at, observedTimeUnixNano: at + 2n * S + 500_000_000n }, attributes: {} }])));
  return { record, attributes: plainAttrs(record.attributes) };
}

describe('Go duration notation', () => {
  it.each([
    ['1h30m', 5400n * S],
    ['-1.5h', -5400n * S],
    ['+300ms', 300_000_000n],
    ['1.000000001s', S + 1n],
    ['2h45m30.5s', 9930n * S + 500_000_000n],
    ['1us', 1_000n],
    ['1µs', 1_000n],
    ['7ns', 7n],
    ['.5s', 500_000_000n],
    ['0', 0n],
  ])('reads %s', (text, nanos) => {
    expect(parseDuration(text)).toBe(nanos);
  });

  it.each(['', '1', 'h', '1x', '1.5', '--1s', '1h 30m'])('refuses "%s"', (text) => {
    expect(parseDuration(text)).toBeInstanceOf(Error);
  });

  it.each([
    [0n, '0s'],
    [1n, '1ns'],
    [1_500n, '1.5µs'],
    [1_500_000n, '1.5ms'],
    [1_500_000_000n, '1.5s'],
    [3600n * S, '1h0m0s'],
    [5400n * S + 500_000_000n, '1h30m0.5s'],
    [-90n * S, '-1m30s'],
  ])('writes %s ns as %s', (nanos, text) => {
    expect(formatDuration(nanos)).toBe(text);
  });
});

describe('OTTL durations', () => {
  it('converts a duration to hours, minutes and seconds (floats) and to whole smaller units (ints)', async () => {
    const { attributes } = await run([
      'set(attributes["h"], Hours(Duration("1h30m")))',
      'set(attributes["m"], Minutes(Duration("1h30m")))',
      'set(attributes["s"], Seconds(Duration("1.5s")))',
      'set(attributes["ms"], Milliseconds(Duration("1.5s")))',
      'set(attributes["us"], Microseconds(Duration("-1.5ms")))',
      'set(attributes["ns"], Nanoseconds(Duration("2us")))',
      'set(attributes["text"], String(Duration("90m")))',
    ]);
    expect(attributes).toEqual({ h: 1.5, m: 90, s: 1.5, ms: 1500n, us: -1500n, ns: 2000n, text: '1h30m0s' });
  });

  it('subtracts times into a duration and adds durations to times', async () => {
    const { record, attributes } = await run([
      'set(attributes["lag_ms"], Milliseconds(observed_time - time))',
      'set(attributes["slow"], true) where observed_time - time > Duration("1s")',
      'set(attributes["sum_s"], Seconds(Duration("1s") + Duration("500ms")))',
      'set(observed_time, time + Duration("1h"))',
      'set(time, time - Duration("1ms"))',
    ]);
    expect(attributes).toEqual({ lag_ms: 2500n, slow: true, sum_s: 1.5 });
    expect(record.observedTimeUnixNano).toBe(at + 3600n * S);
    expect(record.timeUnixNano).toBe(at - 1_000_000n);
  });

  it('truncates a time to a multiple of a duration with TruncateTime', async () => {
    const { attributes } = await run([
      'set(attributes["hour"], UnixSeconds(TruncateTime(time, Duration("1h"))))',
      'set(attributes["second"], UnixNano(TruncateTime(time, Duration("1s"))))',
      'set(attributes["same"], UnixNano(TruncateTime(time, Duration("0s"))))',
    ]);
    expect(attributes).toEqual({ hour: BigInt(Date.parse('2023-11-14T22:00:00Z') / 1000), second: 1_700_000_000n * S, same: at });
  });

  it('reports a malformed duration or a wrong argument as a statement error, and refuses to store a duration', async () => {
    await expect(run(['set(attributes["x"], Seconds(Duration("soon")))'])).rejects.toThrow(/invalid duration "soon"/);
    await expect(run(['set(attributes["x"], Hours(time))'])).rejects.toThrow(/Hours expects a duration, got a time/);
    await expect(run(['set(attributes["x"], Duration("1h"))'])).rejects.toThrow(/convert it with Nanoseconds\(\)/);
    await expect(run(['set(attributes["x"], UnixNano(time + time))'])).rejects.toThrow(/cannot apply "\+"/);
  });
});
