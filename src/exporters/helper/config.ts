import { z } from 'zod';
import { duration } from '../../config/types.js';

/**
 * The keys every exporter shares, with the Collector's names and defaults
 * (exporterhelper: sending_queue, retry_on_failure, timeout). Spread `exporterHelperShape` into an
 * exporter's own strictObject.
 */
export const DEFAULT_QUEUE_SIZE = 1000;
export const DEFAULT_NUM_CONSUMERS = 10;
export const DEFAULT_DEAD_LETTER_MAX_BYTES = 1024 * 1024 * 1024;

/**
 * `sending_queue.batch` (the Collector's keys and defaults, opt-in as there): workers send several
 * queued requests as one. A batch goes out once it holds `min_size` (in `sizer` units) or
 * `flush_timeout` after its first request was taken; `max_size` (0: no limit) caps it. Batching
 * happens after the queue, so it never delays an acknowledgement.
 */
export const DEFAULT_BATCH_FLUSH_TIMEOUT_MS = 200;
export const DEFAULT_BATCH_MIN_SIZE = 8192;

export const batchSchema = z
  .strictObject({
    flush_timeout: duration().default(DEFAULT_BATCH_FLUSH_TIMEOUT_MS),
    sizer: z.enum(['requests', 'items', 'bytes']).default('items'),
    min_size: z.number().int().nonnegative().default(DEFAULT_BATCH_MIN_SIZE),
    max_size: z.number().int().nonnegative().default(0),
  })
  .superRefine((c, ctx) => {
    if (c.max_size > 0 && c.max_size < c.min_size) {
      ctx.addIssue({ code: 'custom', path: ['max_size'], message: `max_size (${c.max_size}) must be 0 (no limit) or at least min_size (${c.min_size})` });
    }
  });

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
    /**
     * The Collector's: the caller waits for the backend's answer. Here a caller is answered once
     * its request is in the queue (durable with `storage`), so `true` is refused rather than
     * silently giving a weaker promise than the config asks for.
     */
    wait_for_result: z
      .literal(false, { error: 'true is not supported: clients are answered when the queue holds their request; set storage: file_storage for an acknowledgement that survives a crash' })
      .optional(),
    /** Ours: what happens when the queue is full and not blocking. Refusing is the safe default. */
    overflow_policy: z.enum(['refuse', 'drop_newest']).default('refuse'),
    /**
     * Ours: bytes the exporter's dead-letter store (file_storage) may hold; past it, the oldest
     * entries go, counted and logged. 0: no bound.
     */
    dead_letter_max_bytes: z.number().int().nonnegative().default(DEFAULT_DEAD_LETTER_MAX_BYTES),
    /** Absent: every queued request is sent on its own. `batch: {}` (or an empty `batch:`) takes the defaults. */
    batch: z.preprocess((v) => (v === null ? {} : v), batchSchema).optional(),
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
export type BatchConfig = z.output<typeof batchSchema>;
export type RetryOnFailureConfig = z.output<typeof retryOnFailureSchema>;
export interface ExporterHelperConfig {
  timeout: number;
  sending_queue: SendingQueueConfig;
  retry_on_failure: RetryOnFailureConfig;
  /** The exporter's client authenticator, where it has one: a headers_setter may need request metadata. */
  auth?: { authenticator: string };
}
