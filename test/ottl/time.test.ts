import { describe, expect, it } from 'vitest';
import { firstRecord, logsOf, plainAttrs, transform } from './harness.js';

/** OTTL time values: the `time` / `observed_time` paths, Now(), Unix() and the Unix* converters. */
const at = 1_700_000_000_123_456_789n; // 2023-11-14T22:13:20.123456789Z

async function run(statements: string[], fields = { timeUnixNano: at, observedTimeUnixNano: at + 2_000_000_000n }) {
  const record = firstRecord(await transform(statements, logsOf([{ fields }])));
  return { record, attributes: plainAttrs(record.attributes) };
}

describe('OTTL time values', () => {
  it('stamps observed_time with Now()', async () => {
    const before = BigInt(Date.now() - 1) * 1_000_000n;
    const { record } = await run(['set(observed_time, Now())'], { timeUnixNano: at, observedTimeUnixNano: 0n });
    const after = BigInt(Date.now() + 1) * 1_000_000n;
    expect(record.observedTimeUnixNano).toBeGreaterThanOrEqual(before);
    expect(record.observedTimeUnixNano).toBeLessThanOrEqual(after);
    expect(record.timeUnixNano).toBe(at);
  });

  it('converts a time to Unix seconds, milli-, micro- and nanoseconds', async () => {
    const { attributes } = await run([
      'set(attributes["s"], UnixSeconds(time))',
      'set(attributes["ms"], UnixMilli(time))',
      'set(attributes["us"], UnixMicro(time))',
      'set(attributes["ns"], UnixNano(time))',
      'set(attributes["text"], String(time))',
    ]);
    expect(attributes).toEqual({ s: 1_700_000_000n, ms: 1_700_000_000_123n, us: 1_700_000_000_123_456n, ns: at, text: '2023-11-14T22:13:20.123456789Z' });
  });

  it('builds a time with Unix(seconds, nanoseconds) and copies times between fields', async () => {
    const { record } = await run(['set(time, Unix(1700000000, 5))', 'set(observed_time, time)']);
    expect(record.timeUnixNano).toBe(1_700_000_000_000_000_005n);
    expect(record.observedTimeUnixNano).toBe(1_700_000_000_000_000_005n);
  });

  it('rounds down before 1970, as Go does', async () => {
    const { attributes } = await run(['set(attributes["s"], UnixSeconds(Unix(-1, 5)))']);
    expect(attributes.s).toBe(-1n);
  });

  it('compares times in conditions', async () => {
    const { attributes } = await run([
      'set(attributes["late"], true) where observed_time > time',
      'set(attributes["future"], true) where time > Now()',
      'set(attributes["same"], true) where time == Unix(1700000000, 123456789)',
    ]);
    expect(attributes).toEqual({ late: true, same: true });
  });

  it('refuses to store a time as an attribute value, naming the conversion to use', async () => {
    await expect(run(['set(attributes["t"], Now())'])).rejects.toThrow(/convert it with UnixNano\(\)/);
  });

  it('ignores a write of another type to a time field, as the Collector does', async () => {
    const { record } = await run(['set(time, 5)']);
    expect(record.timeUnixNano).toBe(at);
  });
});
