import { z } from 'zod';
import { byteSize, duration } from '../../config/types.js';
import { operatorsSchema } from './operators/config.js';

/**
 * `filelog` keys, the contrib receiver's names and defaults (receiver/filelogreceiver and
 * pkg/stanza fileconsumer). Keys the contrib receiver has that we accept without acting on them
 * are listed in docs/log-inputs.md.
 */

/** Contrib's default: how often the include globs are matched again and files read. */
export const DEFAULT_POLL_INTERVAL_MS = 200;
/** Contrib's default (`1kb`): the leading bytes that identify a file across renames. */
export const DEFAULT_FINGERPRINT_SIZE = 1000;
/** Contrib's default (`1MiB`): a longer entry is cut into pieces of this size. */
export const DEFAULT_MAX_LOG_SIZE = 1024 * 1024;
/** Contrib's default: how long an unterminated last line waits before it is sent as it is. */
export const DEFAULT_FORCE_FLUSH_PERIOD_MS = 500;
/** Contrib's default: files read at once; more matches wait for the next poll. */
export const DEFAULT_MAX_CONCURRENT_FILES = 1024;

export const ENCODINGS = ['utf-8', 'utf8', 'utf-8-raw', 'ascii', 'us-ascii', 'nop', 'utf-16le', 'utf-16be'] as const;

const multilineSchema = z
  .strictObject({
    line_start_pattern: z.string().min(1).optional(),
    line_end_pattern: z.string().min(1).optional(),
    /** Drop the matched pattern from the entry (contrib's `omit_pattern`). */
    omit_pattern: z.boolean().default(false),
  })
  .superRefine((m, ctx) => {
    if ((m.line_start_pattern === undefined) === (m.line_end_pattern === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'set exactly one of line_start_pattern and line_end_pattern' });
    }
    for (const key of ['line_start_pattern', 'line_end_pattern'] as const) {
      const p = m[key];
      if (p === undefined) continue;
      try {
        new RegExp(p);
      } catch (err) {
        ctx.addIssue({ code: 'custom', path: [key], message: `not a valid regular expression ${JSON.stringify(p)}: ${(err as Error).message}` });
      }
    }
  })
  .optional();

const stringMap = () => z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({});

export const filelogReceiverSchema = z
  .strictObject({
    include: z.array(z.string().min(1)).min(1, 'list at least one glob of files to read'),
    exclude: z.array(z.string().min(1)).default([]),
    /** Where a file found at the first poll is read from; files that appear later are read whole. */
    start_at: z.enum(['beginning', 'end']).default('end'),
    multiline: multilineSchema,
    encoding: z.enum(ENCODINGS).default('utf-8'),
    include_file_name: z.boolean().default(true),
    include_file_path: z.boolean().default(false),
    include_file_name_resolved: z.boolean().default(false),
    include_file_path_resolved: z.boolean().default(false),
    poll_interval: duration().default(DEFAULT_POLL_INTERVAL_MS),
    fingerprint_size: byteSize().default(DEFAULT_FINGERPRINT_SIZE).refine((n) => n >= 16, 'expected at least 16 bytes'),
    max_log_size: byteSize().default(DEFAULT_MAX_LOG_SIZE).refine((n) => n >= 1, 'expected at least 1 byte'),
    max_concurrent_files: z.number().int().min(1).default(DEFAULT_MAX_CONCURRENT_FILES),
    force_flush_period: duration().default(DEFAULT_FORCE_FLUSH_PERIOD_MS),
    preserve_leading_whitespaces: z.boolean().default(false),
    preserve_trailing_whitespaces: z.boolean().default(false),
    /** The storage extension (file_storage) that keeps each file's read offset across restarts. */
    storage: z.string().min(1).optional(),
    /** Static attributes and resource attributes put on every record. */
    attributes: stringMap(),
    resource: stringMap(),
    operators: operatorsSchema,
  });

export type FilelogReceiverConfig = z.output<typeof filelogReceiverSchema>;
