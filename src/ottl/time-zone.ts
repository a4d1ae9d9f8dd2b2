/**
 * Where an OTTL time was read, so `FormatTime` shows its wall clock there, as the Collector's Go
 * times do: UTC, a fixed offset the text carried (`+02:00`), or an IANA location given to `Time`
 * (`"America/New_York"`, offsets from the runtime's time-zone data, so daylight saving is right).
 */
export interface Zone {
  /** Seconds east of UTC at the instant `unixMs`. */
  offsetAt(unixMs: number): number;
  /** What `%Z` writes at that instant. */
  nameAt(unixMs: number): string;
}

export const UTC_ZONE: Zone = { offsetAt: () => 0, nameAt: () => 'UTC' };

/** A fixed offset, as text with `%z` carries; `%Z` then writes the offset, as Go does for such a zone. */
export function fixedZone(offsetSeconds: number): Zone {
  if (offsetSeconds === 0) return UTC_ZONE;
  const name = formatOffset(offsetSeconds, 'hhmm');
  return { offsetAt: () => offsetSeconds, nameAt: () => name };
}

const locations = new Map<string, Zone>();

/** The zone named `location` (IANA); throws a clear error for a name the runtime does not know. */
export function locationZone(location: string): Zone {
  if (location === 'UTC' || location === 'Etc/UTC' || location === '') return UTC_ZONE;
  let zone = locations.get(location);
  if (zone) return zone;
  let numeric: Intl.DateTimeFormat;
  let short: Intl.DateTimeFormat;
  try {
    numeric = new Intl.DateTimeFormat('en-US', { timeZone: location, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', era: 'short' });
    short = new Intl.DateTimeFormat('en-US', { timeZone: location, timeZoneName: 'short' });
  } catch {
    throw new Error(`unknown location "${location}" (an IANA time zone name such as "Europe/Berlin" is expected)`);
  }
  zone = {
    offsetAt(unixMs) {
      // The wall clock there, read back as if it were UTC, minus the instant: the offset.
      const p: Record<string, string> = {};
      for (const part of numeric.formatToParts(new Date(unixMs))) p[part.type] = part.value;
      const year = p.era === 'BC' ? 1 - Number(p.year) : Number(p.year);
      const wall = new Date(0);
      wall.setUTCFullYear(year, Number(p.month) - 1, Number(p.day));
      wall.setUTCHours(Number(p.hour), Number(p.minute), Number(p.second), 0);
      return Math.round((wall.getTime() - (unixMs - (((unixMs % 1000) + 1000) % 1000))) / 1000);
    },
    nameAt(unixMs) {
      return short.formatToParts(new Date(unixMs)).find((part) => part.type === 'timeZoneName')?.value ?? location;
    },
  };
  locations.set(location, zone);
  return zone;
}

/**
 * The instant at which the wall clock in `zone` shows `wallMs` (a wall time written as if UTC):
 * the offset at `wallMs`, then again at the instant that gives; Go's `time.Date` looks up the same
 * two, so a wall time a daylight-saving change skips or repeats resolves as in the Collector.
 */
export function wallToUnixMs(zone: Zone, wallMs: number): number {
  const first = wallMs - zone.offsetAt(wallMs) * 1000;
  const second = wallMs - zone.offsetAt(first) * 1000;
  return second;
}

/** `+hhmm`, `+hh:mm`, `+hh`, `+hh:mm:ss` or `+hhmmss` for an offset in seconds. */
export function formatOffset(offsetSeconds: number, style: 'hhmm' | 'hh:mm' | 'hh' | 'hh:mm:ss' | 'hhmmss'): string {
  const sign = offsetSeconds < 0 ? '-' : '+';
  const abs = Math.abs(offsetSeconds);
  const hh = String(Math.floor(abs / 3600)).padStart(2, '0');
  const mm = String(Math.floor((abs % 3600) / 60)).padStart(2, '0');
  const ss = String(abs % 60).padStart(2, '0');
  switch (style) {
    case 'hhmm':
      return `${sign}${hh}${mm}`;
    case 'hh:mm':
      return `${sign}${hh}:${mm}`;
    case 'hh':
      return `${sign}${hh}`;
    case 'hh:mm:ss':
      return `${sign}${hh}:${mm}:${ss}`;
    case 'hhmmss':
      return `${sign}${hh}${mm}${ss}`;
  }
}

/** The calendar fields of an instant on the wall clock in `zone`. */
export interface WallClock {
  year: number;
  month: number; // 1-12
  day: number;
  weekday: number; // 0 = Sunday
  hour: number;
  minute: number;
  second: number;
  nanos: number;
  /** Seconds east of UTC at that instant. */
  offset: number;
}

export function wallClock(unixNano: bigint, zone: Zone = UTC_ZONE): WallClock {
  // Whole seconds rounded down (also before 1970), and the nanoseconds past them.
  const secs = unixNano / 1_000_000_000n - (unixNano < 0n && unixNano % 1_000_000_000n !== 0n ? 1n : 0n);
  const unixMs = Number(secs) * 1000;
  const offset = zone.offsetAt(unixMs);
  // The wall clock there, read with the UTC getters.
  const d = new Date(unixMs + offset * 1000);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    weekday: d.getUTCDay(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    nanos: Number(unixNano - secs * 1_000_000_000n),
    offset,
  };
}
