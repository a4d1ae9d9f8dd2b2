import { z } from 'zod';
import { duration } from '../../config/types.js';

/**
 * The Collector's keys (internal/memorylimiter). The Collector refuses a missing check_interval;
 * we default to the 1s its README recommends, so a config that runs there runs here too.
 */
export const DEFAULT_CHECK_INTERVAL_MS = 1_000;
/** The Collector's spike default when only the limit is set: 20% of it. */
export const DEFAULT_SPIKE_FRACTION = 0.2;

const percentage = () => z.number().int().min(0).max(100);

export const memoryLimiterConfigSchema = z
  .strictObject({
    check_interval: duration().default(DEFAULT_CHECK_INTERVAL_MS),
    limit_mib: z.number().int().min(0).default(0),
    spike_limit_mib: z.number().int().min(0).default(0),
    limit_percentage: percentage().default(0),
    spike_limit_percentage: percentage().default(0),
    /** Shortest time between forced collections while above the soft / hard limit. */
    min_gc_interval_when_soft_limited: duration().default(10_000),
    min_gc_interval_when_hard_limited: duration().default(0),
  })
  .superRefine((c, ctx) => {
    if (c.check_interval <= 0) ctx.addIssue({ code: 'custom', path: ['check_interval'], message: 'must be greater than zero' });
    if (c.limit_mib === 0 && c.limit_percentage === 0) {
      ctx.addIssue({ code: 'custom', path: ['limit_mib'], message: 'set limit_mib or limit_percentage (greater than zero)' });
    }
    if (c.limit_mib > 0 && c.spike_limit_mib >= c.limit_mib) {
      ctx.addIssue({ code: 'custom', path: ['spike_limit_mib'], message: `must be less than limit_mib (${c.limit_mib}), got ${c.spike_limit_mib}` });
    }
    if (c.limit_mib === 0 && c.limit_percentage > 0 && c.spike_limit_percentage >= c.limit_percentage) {
      ctx.addIssue({
        code: 'custom',
        path: ['spike_limit_percentage'],
        message: `must be less than limit_percentage (${c.limit_percentage}), got ${c.spike_limit_percentage}`,
      });
    }
  });

export type MemoryLimiterConfig = z.output<typeof memoryLimiterConfigSchema>;

const MIB = 1024 * 1024;

export interface Limits {
  hardBytes: number;
  softBytes: number;
}

/** Hard and soft limits in bytes; fixed MiB settings take precedence over percentages. */
export function computeLimits(c: MemoryLimiterConfig, totalMemoryBytes: number): Limits {
  if (c.limit_mib > 0) {
    const spike = c.spike_limit_mib > 0 ? c.spike_limit_mib : c.limit_mib * DEFAULT_SPIKE_FRACTION;
    return { hardBytes: c.limit_mib * MIB, softBytes: (c.limit_mib - spike) * MIB };
  }
  const hard = (totalMemoryBytes * c.limit_percentage) / 100;
  const spikePct = c.spike_limit_percentage > 0 ? c.spike_limit_percentage : c.limit_percentage * DEFAULT_SPIKE_FRACTION;
  return { hardBytes: hard, softBytes: hard - (totalMemoryBytes * spikePct) / 100 };
}
