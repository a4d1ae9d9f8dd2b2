import { z } from 'zod';
import { duration } from '../../config/types.js';

/**
 * The keys every exporter shares, with the Collector's names and defaults
 * (exporterhelper: sending_queue, retry_on_failure, timeout). Spread `exporterHelperShape` into an
 * exporter's own strictObject.
 */
export const DEFAULT_QUEUE_SIZE = 1000;
export const DEFAULT_NUM_CONSUMERS = 10;

export const sendingQueueSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    num_consumers: z.number().int().positive().default(DEFAULT_NUM_CONSUMERS),
    queue_size: z.number().int().positive().default(DEFAULT_QUEUE_SIZE),
    sizer: z.enum(['requests', 'items', 'bytes']).default('requests'),
    /** A `file_storage` extension id; the queue then lives on disk in its directory. */
    storage: z.string().optional(),
    /** Wait for room instead of refusing when full (the Collector's key). */
    block_on_overflow: z.boolean().default(false),
    /** Ours: what happens when the queue is full and not blocking. Refusing is the safe default. */
    overflow_policy: z.enum(['refuse', 'drop_newest']).default('refuse'),
  })
  .prefault({});

export const retryOnFailureSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    initial_interval: duration().default(5_000),
    max_interval: duration().default(30_000),
    /** 0 retries forever. */
    max_elapsed_time: duration().default(300_000),
    multiplier: z.number().min(1).default(1.5),
    randomization_factor: z.number().min(0).max(1).default(0.5),
  })
  .prefault({});

export const exporterHelperShape = (defaultTimeoutMs = 5_000) => ({
  timeout: duration().default(defaultTimeoutMs),
  sending_queue: sendingQueueSchema,
  retry_on_failure: retryOnFailureSchema,
});

export type SendingQueueConfig = z.output<typeof sendingQueueSchema>;
export type RetryOnFailureConfig = z.output<typeof retryOnFailureSchema>;
export interface ExporterHelperConfig {
  timeout: number;
  sending_queue: SendingQueueConfig;
  retry_on_failure: RetryOnFailureConfig;
}
