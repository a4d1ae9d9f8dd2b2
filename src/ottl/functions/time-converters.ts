import { OttlRuntimeError } from '../errors.js';
import type { Getter } from '../paths.js';
import { ctimeFormatter, ctimeParser } from '../ctime.js';
import { parseDuration } from '../../duration.js';
import { locationZone, wallClock, type WallClock, type Zone } from '../time-zone.js';
import { OttlDuration, OttlTime, type Value } from '../value.js';
import { describe, getter, literal } from './converter-kit.js';
import type { Converter, FunctionDef } from './types.js';

/** OTTL's time and duration converters (Go's time.Time and time.Duration in the Collector). */

/** Now(): the wall clock, to the microsecond (what the platform gives). */
function nowUnixNano(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;
}

/** A converter's time argument, or a statement error naming the converter. */
function timeArg(v: Value, name: string): OttlTime {
  if (!(v instanceof OttlTime)) throw new OttlRuntimeError(`${name} expects a time, got ${describe(v)}`);
  return v;
}

function intArg(g: Getter, ctx: Parameters<Getter>[0], name: string): bigint {
  const v = g(ctx);
  if (typeof v !== 'bigint') throw new OttlRuntimeError(`${name} expects an int, got ${describe(v)}`);
  return v;
}

function durationArg(v: Value, name: string): OttlDuration {
  if (!(v instanceof OttlDuration)) throw new OttlRuntimeError(`${name} expects a duration, got ${describe(v)}`);
  return v;
}

/** Hours(d) and the like: the duration in `per` nanoseconds, a float as Go's d.Hours() is. */
function durationAsFloat(name: string, per: number): FunctionDef<Converter> {
  return {
    params: [getter('duration')],
    build: ([duration]) => {
      const g = duration as Getter;
      return (ctx) => {
        const d = durationArg(g(ctx), name).nanos;
        // Whole units and the rest apart, so large durations keep their nanoseconds (as Go's does).
        const unit = BigInt(per);
        return Number(d / unit) + Number(d % unit) / per;
      };
    },
  };
}

/** Milliseconds(d) and the like: whole units, truncated toward zero as Go's. */
function durationAsInt(name: string, per: bigint): FunctionDef<Converter> {
  return {
    params: [getter('duration')],
    build: ([duration]) => {
      const g = duration as Getter;
      return (ctx) => durationArg(g(ctx), name).nanos / per;
    },
  };
}

/** Seconds between year 1 (Go's zero time) and 1970: Truncate counts from the former. */
const ZERO_TIME_TO_UNIX_NANOS = 62_135_596_800n * 1_000_000_000n;

/** Year(t), Hour(t) and the like: a calendar field of the time's wall clock in its zone, as an int. */
function calendar(name: string, pick: (wall: WallClock) => number): FunctionDef<Converter> {
  return {
    params: [getter('time')],
    build: ([time]) => {
      const g = time as Getter;
      return (ctx) => {
        const t = timeArg(g(ctx), name);
        return BigInt(pick(wallClock(t.unixNano, t.zone)));
      };
    },
  };
}

/** UnixSeconds(t) and the like: the time as an int in `per` nanoseconds, rounded down as Go's. */
function unixIn(name: string, per: bigint): FunctionDef<Converter> {
  return {
    params: [getter('time')],
    build: ([time]) => {
      const g = time as Getter;
      return (ctx) => {
        const ns = timeArg(g(ctx), name).unixNano;
        const q = ns / per;
        return ns < 0n && q * per !== ns ? q - 1n : q;
      };
    },
  };
}

export const TIME_CONVERTERS: Record<string, FunctionDef<Converter>> = {
  Now: { params: [], build: () => () => new OttlTime(nowUnixNano()) },
  Unix: {
    params: [getter('seconds'), getter('nanoseconds', true)],
    build: ([seconds, nanoseconds]) => {
      const s = seconds as Getter;
      const n = nanoseconds as Getter | undefined;
      return (ctx) => new OttlTime(intArg(s, ctx, 'Unix') * 1_000_000_000n + (n ? intArg(n, ctx, 'Unix') : 0n));
    },
  },
  Time: {
    params: [getter('target'), literal('format'), { name: 'location', kind: 'string', optional: true }, { name: 'locale', kind: 'string', optional: true }],
    build: ([target, format, location, locale]) => {
      let zone: Zone | undefined;
      try {
        zone = location === undefined ? undefined : locationZone(location as string);
      } catch (err) {
        throw new Error(`Time: ${(err as Error).message}`);
      }
      if (locale !== undefined && !/^en(\b|[-_])/.test(locale as string)) throw new Error(`Time: locale "${locale as string}" is not supported; month and day names are read in English`);
      const parse = ctimeParser(format as string, zone);
      const g = target as Getter;
      return (ctx) => {
        const v = g(ctx);
        if (v === null) return null;
        if (typeof v !== 'string') throw new OttlRuntimeError(`Time expects a string, got ${describe(v)}`);
        if (v === '') throw new OttlRuntimeError('Time: the string to parse is empty');
        const t = parse(v);
        if (t instanceof Error) throw new OttlRuntimeError(`Time: ${t.message}`);
        return new OttlTime(t.unixNano, t.zone);
      };
    },
  },
  FormatTime: {
    params: [getter('time'), literal('format')],
    build: ([time, format]) => {
      const render = ctimeFormatter(format as string);
      const g = time as Getter;
      return (ctx) => {
        const t = timeArg(g(ctx), 'FormatTime');
        return render(t.unixNano, t.zone);
      };
    },
  },
  Duration: {
    params: [getter('duration')],
    build: ([duration]) => {
      const g = duration as Getter;
      return (ctx) => {
        const v = g(ctx);
        if (typeof v !== 'string') throw new OttlRuntimeError(`Duration expects a string, got ${describe(v)}`);
        const d = parseDuration(v);
        if (d instanceof Error) throw new OttlRuntimeError(`Duration: ${d.message}`);
        return new OttlDuration(d);
      };
    },
  },
  Hours: durationAsFloat('Hours', 3_600_000_000_000),
  Minutes: durationAsFloat('Minutes', 60_000_000_000),
  Seconds: durationAsFloat('Seconds', 1_000_000_000),
  Milliseconds: durationAsInt('Milliseconds', 1_000_000n),
  Microseconds: durationAsInt('Microseconds', 1_000n),
  Nanoseconds: durationAsInt('Nanoseconds', 1n),
  TruncateTime: {
    params: [getter('time'), getter('duration')],
    build: ([time, duration]) => {
      const gt = time as Getter;
      const gd = duration as Getter;
      return (ctx) => {
        const t = timeArg(gt(ctx), 'TruncateTime');
        const d = durationArg(gd(ctx), 'TruncateTime').nanos;
        // Go's Time.Truncate: multiples of d since the zero time (not 1970), whatever the zone.
        if (d <= 0n) return t;
        const since = t.unixNano + ZERO_TIME_TO_UNIX_NANOS;
        const rest = ((since % d) + d) % d;
        return new OttlTime(t.unixNano - rest, t.zone);
      };
    },
  },
  Year: calendar('Year', (w) => w.year),
  Month: calendar('Month', (w) => w.month),
  Day: calendar('Day', (w) => w.day),
  Weekday: calendar('Weekday', (w) => w.weekday),
  Hour: calendar('Hour', (w) => w.hour),
  Minute: calendar('Minute', (w) => w.minute),
  Second: calendar('Second', (w) => w.second),
  Nanosecond: calendar('Nanosecond', (w) => w.nanos),
  UnixSeconds: unixIn('UnixSeconds', 1_000_000_000n),
  UnixMilli: unixIn('UnixMilli', 1_000_000n),
  UnixMicro: unixIn('UnixMicro', 1_000n),
  UnixNano: unixIn('UnixNano', 1n),
};
