import { z } from 'zod';
import { duration } from '../../config/types.js';

/**
 * `file_storage` keys, the Collector's names. `fsync` defaults to **true**, deliberately unlike the
 * Collector: with it off, a power loss or kernel crash can lose a backlog the gateway already
 * acknowledged (opentelemetry-collector-contrib #50102). Group commit keeps the cost low.
 */
export const DEFAULT_STORAGE_DIRECTORY = './data/file_storage';
/** The Collector's default lock timeout; it is SQLite's busy timeout here. */
export const DEFAULT_STORAGE_TIMEOUT_MS = 1_000;

/** Accepted so Collector configs run unchanged; SQLite compacts itself (auto_vacuum), see docs. */
const compactionSchema = z
  .strictObject({
    on_start: z.boolean().optional(),
    on_rebound: z.boolean().optional(),
    directory: z.string().optional(),
    max_transaction_size: z.number().int().optional(),
    rebound_needed_threshold_mib: z.number().optional(),
    rebound_trigger_threshold_mib: z.number().optional(),
    check_interval: duration().optional(),
    cleanup_on_start: z.boolean().optional(),
  })
  .optional();

export const fileStorageSchema = z
  .strictObject({
    directory: z.string().min(1).default(DEFAULT_STORAGE_DIRECTORY),
    fsync: z.boolean().default(true),
    timeout: duration().default(DEFAULT_STORAGE_TIMEOUT_MS),
    compaction: compactionSchema,
    /** The directory is always created at start; kept for Collector compatibility. */
    create_directory: z.boolean().optional(),
    directory_permissions: z.string().optional(),
  })
  .prefault({});

export type FileStorageConfig = z.output<typeof fileStorageSchema>;
