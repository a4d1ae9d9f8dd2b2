import { z } from 'zod';
import { exporterHelperShape } from '../helper/config.js';

/** The Collector's debug exporter defaults (exporter/debugexporter). */
export const DEFAULT_SAMPLING_INITIAL = 2;
export const DEFAULT_SAMPLING_THEREAFTER = 1;

export const debugConfigSchema = z.strictObject({
  verbosity: z.enum(['basic', 'normal', 'detailed']).default('basic'),
  /** Requests written per second before sampling starts. */
  sampling_initial: z.number().int().min(1).default(DEFAULT_SAMPLING_INITIAL),
  /** After that, one request in this many is written (1 = all). */
  sampling_thereafter: z.number().int().min(1).default(DEFAULT_SAMPLING_THEREAFTER),
  /** true: output goes to stderr with the gateway's own logs; false: to stdout (as the Collector does). */
  use_internal_logger: z.boolean().default(true),
  /** Where the output goes when not through the internal logger: `stdout` (the default) or `stderr`. */
  output_paths: z.array(z.enum(['stdout', 'stderr'], { message: 'expected "stdout" or "stderr" (files: use the file exporter)' })).max(1).optional(),
  ...exporterHelperShape(),
});

export type DebugConfig = z.output<typeof debugConfigSchema>;
