import { describe, expect, it } from 'vitest';
import { parseRange, parseTime, TimeRangeError } from '../../src/export/time-range.js';

const NOW = Date.UTC(2026, 11, 4, 12, 0, 0);

describe('export time arguments', () => {
  it('reads RFC 3339, epoch ms, now and relative times', () => {
    expect(parseTime('2026-12-01T00:00:00Z', NOW)).toBe(Date.UTC(2026, 11, 1));
    expect(parseTime('2026-12-01T01:00:00+01:00', NOW)).toBe(Date.UTC(2026, 11, 1));
    expect(parseTime('1796083200000', NOW)).toBe(1796083200000);
    expect(parseTime(1796083200000, NOW)).toBe(1796083200000);
    expect(parseTime('now', NOW)).toBe(NOW);
    expect(parseTime('-24h', NOW)).toBe(NOW - 86_400_000);
    expect(parseTime('-7d', NOW)).toBe(NOW - 7 * 86_400_000);
    expect(parseTime('-1h30m', NOW)).toBe(NOW - 5_400_000);
  });

  it('refuses anything else, naming the argument', () => {
    for (const bad of ['yesterday', '2026-12-01', '-0h', '+1h', '12:00']) expect(() => parseTime(bad, NOW, 'from')).toThrow(/^from: expected RFC 3339/);
  });

  it('wants from before to', () => {
    expect(parseRange('-2h', 'now', NOW)).toEqual({ fromMs: NOW - 7_200_000, toMs: NOW });
    expect(() => parseRange('now', '-1h', NOW)).toThrow(TimeRangeError);
    expect(() => parseRange(undefined, 'now', NOW)).toThrow(/from: required/);
  });
});
