/**
 * Rolling metrics for the status page's charts, kept in memory: one ring buffer per series, one
 * point every 5 s for 15 minutes (180 points). Fixed size, so a gateway that runs for months uses
 * the same memory as one that just started; a series nobody updates any more (an exporter removed)
 * simply ages out of the chart.
 */

/** One point every… */
export const SERIES_STEP_MS = 5_000;
/** …for this long. */
export const SERIES_WINDOW_MS = 15 * 60_000;
export const SERIES_POINTS = SERIES_WINDOW_MS / SERIES_STEP_MS;

export interface SeriesPoint {
  /** Milliseconds since the epoch. */
  t: number;
  v: number;
}

class Ring {
  private readonly times = new Float64Array(SERIES_POINTS);
  private readonly values = new Float64Array(SERIES_POINTS);
  private next = 0;
  private count = 0;

  push(t: number, v: number): void {
    this.times[this.next] = t;
    this.values[this.next] = v;
    this.next = (this.next + 1) % SERIES_POINTS;
    this.count = Math.min(this.count + 1, SERIES_POINTS);
  }

  points(sinceMs: number): SeriesPoint[] {
    const out: SeriesPoint[] = [];
    const first = (this.next - this.count + SERIES_POINTS) % SERIES_POINTS;
    for (let i = 0; i < this.count; i++) {
      const at = (first + i) % SERIES_POINTS;
      if (this.times[at]! >= sinceMs) out.push({ t: this.times[at]!, v: this.values[at]! });
    }
    return out;
  }
}

/** Series names are `<metric>{<label>=<value>}`-free plain keys: the API groups them by owner. */
export class RollingSeries {
  private readonly rings = new Map<string, Ring>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Records a point of `name` at now. */
  record(name: string, value: number, atMs = this.now()): void {
    let ring = this.rings.get(name);
    if (!ring) this.rings.set(name, (ring = new Ring()));
    ring.push(atMs, value);
  }

  names(): string[] {
    return [...this.rings.keys()].sort();
  }

  /** Points of one series within the window, oldest first; empty for an unknown name. */
  points(name: string): SeriesPoint[] {
    return this.rings.get(name)?.points(this.now() - SERIES_WINDOW_MS) ?? [];
  }
}
