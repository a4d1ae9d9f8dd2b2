import { createHash } from 'node:crypto';
import { OttlRuntimeError } from '../errors.js';
import type { Getter } from '../paths.js';
import { ctimeFormatter, ctimeParser } from '../ctime.js';
import { locationZone, wallClock, type WallClock, type Zone } from '../time-zone.js';
import { compileGoRegex } from '../regex.js';
import { asStringLike, isList, listItems, OttlDuration, OttlList, OttlMap, OttlTime, toAny, type Value } from '../value.js';
import { parseDuration } from '../duration.js';
import { murmur3x64_128, murmur3x86_32 } from '../murmur3.js';
import type { Converter, FunctionDef } from './types.js';

/** OTTL converters (pkg/ottl/ottlfuncs): pure functions that return a value. */

const getter = (name: string, optional = false) => ({ name, kind: 'getter' as const, optional });
const literal = (name: string) => ({ name, kind: 'string' as const });

function typeCheck(test: (v: Value) => boolean): FunctionDef<Converter> {
  return {
    params: [getter('value')],
    build: ([value]) => {
      const g = value as Getter;
      return (ctx) => test(g(ctx));
    },
  };
}

function stringFn(fn: (s: string) => Value): FunctionDef<Converter> {
  return {
    params: [getter('target')],
    build: ([target]) => {
      const g = target as Getter;
      return (ctx) => {
        const v = g(ctx);
        if (v === null) return null;
        if (typeof v !== 'string') throw new OttlRuntimeError(`expected a string, got ${describe(v)}`);
        return fn(v);
      };
    },
  };
}

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

function hexDigest(algorithm: string, s: string): string {
  return s === '' ? s : createHash(algorithm).update(s, 'utf8').digest('hex');
}

/** The hash's bytes in little-endian order, as hex: the Collector's Murmur3Hash/Murmur3Hash128 output. */
function murmur32Hex(s: string): string {
  const out = Buffer.alloc(4);
  out.writeUInt32LE(murmur3x86_32(Buffer.from(s, 'utf8')));
  return out.toString('hex');
}

function murmur128Hex(s: string): string {
  const [h1, h2] = murmur3x64_128(Buffer.from(s, 'utf8'));
  const out = Buffer.alloc(16);
  out.writeBigUInt64LE(h1, 0);
  out.writeBigUInt64LE(h2, 8);
  return out.toString('hex');
}

const FNV64_OFFSET = 0xcbf29ce484222325n;
const FNV64_PRIME = 0x100000001b3n;

/** FNV-1a, 64 bits, over the UTF-8 bytes; returned as a signed int64 (Go's int64(Sum64())). */
function fnv1a64(s: string): bigint {
  let hash = FNV64_OFFSET;
  for (const byte of Buffer.from(s, 'utf8')) hash = BigInt.asUintN(64, (hash ^ BigInt(byte)) * FNV64_PRIME);
  return BigInt.asIntN(64, hash);
}

function describe(v: Value): string {
  if (v === null) return 'nil';
  if (v instanceof OttlMap) return 'a map';
  if (isList(v)) return 'a list';
  if (v instanceof Uint8Array) return 'bytes';
  if (v instanceof OttlTime) return 'a time';
  return typeof v === 'bigint' ? 'an int' : typeof v === 'number' ? 'a float' : `a ${typeof v}`;
}

const INT_TEXT = /^[+-]?\d+$/;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

function toInt(v: Value): Value {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? BigInt(Math.trunc(v)) : null;
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (typeof v === 'string' && INT_TEXT.test(v)) {
    const n = BigInt(v);
    return n >= INT64_MIN && n <= INT64_MAX ? n : null;
  }
  return null;
}

function toDouble(v: Value): Value {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  return null;
}

const BOOL_TEXT: Record<string, boolean> = { '1': true, t: true, T: true, TRUE: true, true: true, True: true, '0': false, f: false, F: false, FALSE: false, false: false, False: false };

function toBool(v: Value): Value {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return v !== 0n;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return BOOL_TEXT[v] ?? null;
  return null;
}

/** JSON numbers become float64, as encoding/json does in the Collector's ParseJSON. */
function fromJson(x: unknown): Value {
  if (x === null) return null;
  if (typeof x === 'number') return x;
  if (typeof x === 'string' || typeof x === 'boolean') return x;
  if (Array.isArray(x)) return x.map(fromJson);
  const kvs = Object.entries(x as Record<string, unknown>).map(([key, v]) => ({ key, value: toAny(fromJson(v)) }));
  return new OttlMap(kvs);
}

function words(s: string): string[] {
  return s
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w !== '');
}

const CASES: Record<string, (s: string) => string> = {
  lower: (s) => s.toLowerCase(),
  upper: (s) => s.toUpperCase(),
  snake: (s) => words(s).map((w) => w.toLowerCase()).join('_'),
  camel: (s) => words(s).map((w) => w[0].toUpperCase() + w.slice(1).toLowerCase()).join(''),
};

export const CONVERTERS: Record<string, FunctionDef<Converter>> = {
  IsMatch: {
    params: [getter('target'), literal('pattern')],
    build: ([target, pattern]) => {
      const g = target as Getter;
      const re = compileGoRegex(pattern as string);
      return (ctx) => {
        const s = asStringLike(g(ctx));
        return s === null ? false : re.test(s);
      };
    },
  },
  Concat: {
    // Newer Collectors take any string expression as the delimiter, older ones a literal.
    params: [getter('vals'), getter('delimiter')],
    build: ([vals, delimiter]) => {
      const g = vals as Getter;
      const d = delimiter as Getter;
      return (ctx) => {
        const delim = d(ctx);
        if (typeof delim !== 'string') throw new OttlRuntimeError(`Concat delimiter must be a string, got ${describe(delim)}`);
        const list = g(ctx);
        if (!isList(list)) throw new OttlRuntimeError(`Concat expects a list of values, got ${describe(list)}`);
        const out: string[] = [];
        for (const v of listItems(list)) {
          // Maps and lists are left out on purpose (payload size), nil is written as Go prints it.
          if (v instanceof OttlMap || isList(v)) continue;
          out.push(v === null ? '<nil>' : asStringLike(v)!);
        }
        return out.join(delim);
      };
    },
  },
  Split: {
    params: [getter('target'), literal('delimiter')],
    build: ([target, delimiter]) => {
      const g = target as Getter;
      const d = delimiter as string;
      return (ctx) => {
        const v = g(ctx);
        if (v === null) return null;
        if (typeof v !== 'string') throw new OttlRuntimeError(`Split expects a string, got ${describe(v)}`);
        return d === '' ? Array.from(v) : v.split(d);
      };
    },
  },
  Int: {
    params: [getter('value')],
    build: ([value]) => {
      const g = value as Getter;
      return (ctx) => toInt(g(ctx));
    },
  },
  Double: {
    params: [getter('value')],
    build: ([value]) => {
      const g = value as Getter;
      return (ctx) => toDouble(g(ctx));
    },
  },
  Bool: {
    params: [getter('value')],
    build: ([value]) => {
      const g = value as Getter;
      return (ctx) => toBool(g(ctx));
    },
  },
  String: {
    params: [getter('value')],
    build: ([value]) => {
      const g = value as Getter;
      return (ctx) => asStringLike(g(ctx));
    },
  },
  ParseJSON: {
    params: [getter('target')],
    build: ([target]) => {
      const g = target as Getter;
      return (ctx) => {
        const v = g(ctx);
        if (typeof v !== 'string') throw new OttlRuntimeError(`ParseJSON expects a string, got ${describe(v)}`);
        let parsed: unknown;
        try {
          parsed = JSON.parse(v);
        } catch (err) {
          throw new OttlRuntimeError(`ParseJSON: ${(err as Error).message}`);
        }
        if (typeof parsed !== 'object' || parsed === null) throw new OttlRuntimeError('ParseJSON: the JSON is not an object or array');
        return fromJson(parsed);
      };
    },
  },
  Len: {
    params: [getter('target')],
    build: ([target]) => {
      const g = target as Getter;
      return (ctx) => {
        const v = g(ctx);
        // Go's len(string) counts UTF-8 bytes; the Collector's Len inherits that.
        if (typeof v === 'string') return BigInt(Buffer.byteLength(v));
        if (v instanceof OttlMap) return BigInt(v.kvs.length);
        if (v instanceof OttlList) return BigInt(v.items.length);
        if (Array.isArray(v)) return BigInt(v.length);
        if (v instanceof Uint8Array) return BigInt(v.length);
        throw new OttlRuntimeError(`Len: unsupported type ${describe(v)}`);
      };
    },
  },
  IsString: typeCheck((v) => typeof v === 'string'),
  IsMap: typeCheck((v) => v instanceof OttlMap),
  IsList: typeCheck((v) => isList(v)),
  IsInt: typeCheck((v) => typeof v === 'bigint'),
  IsDouble: typeCheck((v) => typeof v === 'number'),
  IsBool: typeCheck((v) => typeof v === 'boolean'),
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
  // Hashes of a string, as the Collector's: hex digests, FNV-1a 64 as int64; "" stays "".
  // MurmurHash3, x86 32-bit and x64 128-bit, seed 0; unlike the digests above, "" is hashed too.
  Murmur3Hash: stringFn(murmur32Hex),
  Murmur3Hash128: stringFn(murmur128Hex),
  MD5: stringFn((s) => hexDigest('md5', s)),
  SHA1: stringFn((s) => hexDigest('sha1', s)),
  SHA256: stringFn((s) => hexDigest('sha256', s)),
  SHA512: stringFn((s) => hexDigest('sha512', s)),
  FNV: stringFn((s) => (s === '' ? s : fnv1a64(s))),
  ToLowerCase: stringFn((s) => s.toLowerCase()),
  ToUpperCase: stringFn((s) => s.toUpperCase()),
  ConvertCase: {
    params: [getter('target'), literal('toCase')],
    build: ([target, toCase]) => {
      const conv = CASES[toCase as string];
      if (!conv) throw new Error(`invalid case "${toCase as string}", expected one of lower, upper, snake, camel`);
      const g = target as Getter;
      return (ctx) => {
        const v = g(ctx);
        if (v === null) return null;
        if (typeof v !== 'string') throw new OttlRuntimeError(`ConvertCase expects a string, got ${describe(v)}`);
        return conv(v);
      };
    },
  },
  Substring: {
    params: [getter('target'), getter('start'), getter('length')],
    build: ([target, start, length]) => {
      const [g, gs, gl] = [target, start, length] as Getter[];
      return (ctx) => {
        const v = g(ctx);
        const s = gs(ctx);
        const l = gl(ctx);
        if (typeof v !== 'string') throw new OttlRuntimeError(`Substring expects a string, got ${describe(v)}`);
        if (typeof s !== 'bigint' || typeof l !== 'bigint') throw new OttlRuntimeError('Substring: start and length must be ints');
        if (s < 0n || l <= 0n || s + l > BigInt(v.length)) throw new OttlRuntimeError(`Substring: invalid range start=${s} length=${l} for a string of length ${v.length}`);
        return v.substr(Number(s), Number(l));
      };
    },
  },
  HasPrefix: {
    params: [getter('target'), getter('prefix')],
    build: ([target, prefix]) => {
      const [g, p] = [target, prefix] as Getter[];
      return (ctx) => {
        const v = g(ctx);
        const x = p(ctx);
        if (typeof v !== 'string' || typeof x !== 'string') throw new OttlRuntimeError('HasPrefix expects strings');
        return v.startsWith(x);
      };
    },
  },
  HasSuffix: {
    params: [getter('target'), getter('suffix')],
    build: ([target, suffix]) => {
      const [g, p] = [target, suffix] as Getter[];
      return (ctx) => {
        const v = g(ctx);
        const x = p(ctx);
        if (typeof v !== 'string' || typeof x !== 'string') throw new OttlRuntimeError('HasSuffix expects strings');
        return v.endsWith(x);
      };
    },
  },
};
