import { z } from 'zod';
import { duration } from '../../config/types.js';

/** Make lists a run up to 45 minutes after it started (its 40-minute limit and a margin). */
export const DEFAULT_GRACE_MS = 50 * 60_000;
/** How often the clock is checked for closed hours and stopped scenarios. */
export const DEFAULT_CHECK_INTERVAL_MS = 60_000;

export const makeAnomalyConfigSchema = z.strictObject({
  /** A file_storage extension id: baselines survive restarts (recommended). */
  storage: z.string().min(1).optional(),
  grace_period: duration().default(DEFAULT_GRACE_MS),
  check_interval: duration().default(DEFAULT_CHECK_INTERVAL_MS).refine((ms) => ms >= 1000, 'expected at least "1s"'),
});

export type MakeAnomalyConfig = z.output<typeof makeAnomalyConfigSchema>;
