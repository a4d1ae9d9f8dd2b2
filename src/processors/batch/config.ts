import { z } from 'zod';
import { duration } from '../../config/types.js';

/** The Collector's defaults (processor/batchprocessor): a batch per 8192 records or per 200ms. */
export const DEFAULT_SEND_BATCH_SIZE = 8192;
export const DEFAULT_BATCH_TIMEOUT_MS = 200;
/** The Collector's default: at most this many metadata_keys value combinations wait in batches at once. */
export const DEFAULT_METADATA_CARDINALITY_LIMIT = 1000;

export const batchConfigSchema = z
  .strictObject({
    /** Records after which a batch is sent regardless of the timeout; 0 = only the timeout sends. */
    send_batch_size: z.number().int().min(0).default(DEFAULT_SEND_BATCH_SIZE),
    /** Upper bound of a batch; larger requests are split. 0 = no upper bound. */
    send_batch_max_size: z.number().int().min(0).default(0),
    /** How long a non-empty batch waits for more records; 0 = send at once. */
    timeout: duration().default(DEFAULT_BATCH_TIMEOUT_MS),
    metadata_keys: z.array(z.string()).default([]),
    metadata_cardinality_limit: z.number().int().min(0).default(DEFAULT_METADATA_CARDINALITY_LIMIT),
  })
  .superRefine((c, ctx) => {
    if (c.send_batch_max_size > 0 && c.send_batch_max_size < c.send_batch_size) {
      ctx.addIssue({
        code: 'custom',
        path: ['send_batch_max_size'],
        message: `must be 0 or at least send_batch_size (${c.send_batch_size}), got ${c.send_batch_max_size}`,
      });
    }
  });

export type BatchConfig = z.output<typeof batchConfigSchema>;
