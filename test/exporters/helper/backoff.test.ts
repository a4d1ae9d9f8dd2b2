import { describe, expect, it } from 'vitest';
import { Backoff } from '../../../src/exporters/helper/backoff.js';

const config = { initial_interval: 1_000, max_interval: 4_000, multiplier: 2, randomization_factor: 0.5 };

describe('retry backoff', () => {
  it('keeps every delay within ±randomization_factor of the growing interval', () => {
    const low = new Backoff(config, () => 0);
    const high = new Backoff(config, () => 0.999999);
    const lows = [1, 2, 3, 4].map(() => low.next());
    const highs = [1, 2, 3, 4].map(() => high.next());
    expect(lows).toEqual([500, 1_000, 2_000, 2_000]);
    expect(highs).toEqual([1_500, 3_000, 6_000, 6_000]);
  });

  it('grows by the multiplier and stops growing at max_interval', () => {
    const exact = new Backoff({ ...config, randomization_factor: 0 });
    expect([1, 2, 3, 4, 5].map(() => exact.next())).toEqual([1_000, 2_000, 4_000, 4_000, 4_000]);
  });

  it("never waits less than the backend's Retry-After", () => {
    const b = new Backoff({ ...config, randomization_factor: 0 });
    expect(b.next(7_000)).toBe(7_000);
    expect(b.next(10)).toBe(2_000);
  });
});
