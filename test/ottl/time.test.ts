import { describe, expect, it } from 'vitest';
import { firstRecord, logsOf, plainAttrs, transform } from './harness.js';

/** OTTL time values: the `time` / `observed_time` paths, Now(), Unix() and the Unix* converters. */
const at = 1_700_000_000_123_456_789n; // 2023-11-14T22:13:20.123456789Z

async function run(statements: string[], fields = { timeUnixNano: at, observedTimeUnixNano: at + 2_000_000_000n }, attributes: Record<string, unknown> = {}) {
  const record = firstRecord(await transform(statements, logsOf([{ fields, attributes }])));
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

  it('reads calendar fields with Year, Month, Day, Weekday, Hour, Minute, Second and Nanosecond', async () => {
    const { attributes } = await run([
      'set(attributes["utc"], Concat([Year(time), Month(time), Day(time), Weekday(time), Hour(time), Minute(time), Second(time), Nanosecond(time)], " "))',
      // In the zone the time was read in: 2023-11-14 22:13:20Z is 17:13:20 in New York.
      'set(attributes["ny_hour"], Hour(Time("2023-11-14 17:13:20", "%Y-%m-%d %H:%M:%S", "America/New_York")))',
      'set(attributes["is_int"], IsInt(Year(time)))',
      'set(attributes["weekend"], true) where Weekday(time) == 0 or Weekday(time) == 6',
    ]);
    expect(attributes).toEqual({ utc: '2023 11 14 2 22 13 20 123456789', ny_hour: 17n, is_int: true });
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

describe('OTTL Time and FormatTime (ctime directives)', () => {
  const parse = async (text: string, format: string) => (await run([`set(attributes["ns"], UnixNano(Time(attributes["t"], "${format}")))`], undefined, { t: text })).attributes.ns;

  it.each([
    ['2023-11-14T22:13:20Z', '%Y-%m-%dT%H:%M:%SZ', '2023-11-14T22:13:20Z'],
    ['2023-11-14 23:13:20.123+0100', '%Y-%m-%d %H:%M:%S.%L%z', '2023-11-14T22:13:20.123Z'],
    ['2023-11-14T17:13:20.123456789-05:00', '%Y-%m-%dT%H:%M:%S.%s%j', '2023-11-14T22:13:20.123456789Z'],
    ['14/Nov/2023:10:13:20 PM', '%d/%b/%Y:%I:%M:%S %p', '2023-11-14T22:13:20Z'],
    ['Tuesday, November 14 2023', '%A, %B %g %Y', '2023-11-14T00:00:00Z'],
    ['11/14/23 22:13', '%D %R', '2023-11-14T22:13:00Z'],
  ])('parses %s with "%s"', async (text, format, iso) => {
    expect(await parse(text, format)).toBe(BigInt(Date.parse(iso)) * 1_000_000n + (iso.includes('.123456789') ? 456_789n : 0n));
  });

  it('reports text that does not fit the format as a statement error', async () => {
    await expect(parse('2023-13-01', '%Y-%m-%d')).rejects.toThrow(/not a valid time/);
    await expect(parse('yesterday', '%Y-%m-%d')).rejects.toThrow(/does not match the time format/);
  });

  it('refuses an unsupported directive, digits or an unknown location when the config loads', async () => {
    await expect(run(['set(time, Time(attributes["t"], "%Q"))'])).rejects.toThrow(/unsupported time format directive \\"%Q\\"/);
    await expect(run(['set(time, Time(attributes["t"], "2006-%m"))'])).rejects.toThrow(/must not contain digits/);
    await expect(run(['set(time, Time(attributes["t"], "%Y", "Mars/Olympus_Mons"))'])).rejects.toThrow(/unknown location \\"Mars\/Olympus_Mons\\"/);
  });

  it('reads text without an offset in the location given, with daylight saving', async () => {
    const inNewYork = async (text: string) =>
      (await run([`set(attributes["ns"], UnixNano(Time(attributes["t"], "%Y-%m-%d %H:%M:%S", "America/New_York")))`], undefined, { t: text })).attributes.ns;
    expect(await inNewYork('2023-11-14 17:13:20')).toBe(BigInt(Date.parse('2023-11-14T22:13:20Z')) * 1_000_000n); // EST, -5
    expect(await inNewYork('2023-07-04 12:00:00')).toBe(BigInt(Date.parse('2023-07-04T16:00:00Z')) * 1_000_000n); // EDT, -4
    // An offset in the text wins over the location.
    const { attributes } = await run([`set(attributes["ns"], UnixNano(Time(attributes["t"], "%Y-%m-%d %H:%M:%S%z", "America/New_York")))`], undefined, { t: '2023-07-04 12:00:00+0200' });
    expect(attributes.ns).toBe(BigInt(Date.parse('2023-07-04T10:00:00Z')) * 1_000_000n);
  });

  it('formats a time read with an offset or a location in that zone, as the Collector does', async () => {
    const { attributes } = await run(
      [
        'set(attributes["ny"], FormatTime(Time(attributes["local"], "%Y-%m-%d %H:%M:%S", "America/New_York"), "%H:%M %z %Z"))',
        'set(attributes["ny_winter"], FormatTime(Time(attributes["winter"], "%Y-%m-%d %H:%M:%S", "America/New_York"), "%H:%M %j"))',
        'set(attributes["offset"], FormatTime(Time(attributes["with_offset"], "%Y-%m-%d %H:%M:%S%z"), "%H:%M %z"))',
        'set(attributes["utc"], FormatTime(Time(attributes["local"], "%Y-%m-%d %H:%M:%S"), "%H:%M %z %Z"))',
      ],
      undefined,
      { local: '2023-07-04 12:00:00', winter: '2023-11-14 17:13:20', with_offset: '2023-11-14 23:13:20+0100' },
    );
    expect(attributes).toMatchObject({ ny: '12:00 -0400 EDT', ny_winter: '17:13 -05:00', offset: '23:13 +0100', utc: '12:00 +0000 UTC' });
  });

  it('formats a time with the same directives, in UTC for a time not read with Time', async () => {
    const { attributes } = await run([
      'set(attributes["iso"], FormatTime(time, "%Y-%m-%dT%H:%M:%S.%f%z"))',
      'set(attributes["clf"], FormatTime(time, "%d/%b/%Y:%I:%M:%S %p %A %e"))',
      'set(attributes["c"], FormatTime(time, "%c"))',
    ]);
    expect(attributes).toEqual({ iso: '2023-11-14T22:13:20.123456+0000', clf: '14/Nov/2023:10:13:20 PM Tuesday 14', c: 'Tue Nov 14 22:13:20 2023' });
  });

  it('round-trips Time(FormatTime(t)) to the nanosecond', async () => {
    const { record } = await run(['set(observed_time, Time(FormatTime(time, "%F %T.%s %z"), "%F %T.%s %z"))']);
    expect(record.observedTimeUnixNano).toBe(at);
  });
});
