import { z } from 'zod';
import { duration } from '../../config/types.js';
import { FieldError, parseColumns } from '../../export/columns.js';
import { exporterHelperShape } from '../helper/config.js';

/** The Collector's defaults (contrib exporter/fileexporter, rotation through lumberjack). */
export const DEFAULT_MAX_MEGABYTES = 100;
export const DEFAULT_MAX_BACKUPS = 100;
export const DEFAULT_FLUSH_INTERVAL_MS = 1_000;

const rotationSchema = z.strictObject({
  max_megabytes: z.number().int().positive().default(DEFAULT_MAX_MEGABYTES),
  /** Delete backups older than this many days; 0 keeps them regardless of age. */
  max_days: z.number().int().min(0).default(0),
  /** Backups kept; 0 keeps all (lumberjack's meaning). */
  max_backups: z.number().int().min(0).default(DEFAULT_MAX_BACKUPS),
  localtime: z.boolean().default(false),
});

export const fileConfigSchema = z
  .strictObject({
    path: z.string().min(1, 'path must be non-empty'),
    format: z.enum(['json', 'proto', 'csv', 'parquet']).default('json'),
    /** csv/parquet columns, as the export CLI's `--fields`; absent = the export engine's default columns. */
    fields: z.array(z.string()).min(1, 'fields must list at least one column').optional(),
    /** Present = rotate (as in the Collector, an absent block means one ever-growing file). */
    rotation: rotationSchema.optional(),
    compression: z.enum(['zstd', '']).optional(),
    /**
     * Accepted for compatibility. Every write is flushed and fsync'd before the send reports
     * success (the queue deletes a request on success), so there is nothing left to flush later.
     */
    flush_interval: duration().default(DEFAULT_FLUSH_INTERVAL_MS),
    /** true: keep what the file holds; false: truncate it at start (the Collector's default). */
    append: z.boolean().default(false),
    create_directory: z.boolean().default(false),
    directory_permissions: z.string().regex(/^0?[0-7]{3}$/, 'expected an octal mode like "0755"').optional(),
    group_by: z.unknown().optional(),
    encoding: z.unknown().optional(),
    ...exporterHelperShape(),
  })
  .superRefine((c, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (c.append && c.compression) issue('append', 'append and compression together are not supported');
    if (c.append && c.rotation) issue('append', 'append and rotation together are not supported');
    if (c.directory_permissions !== undefined && !c.create_directory) issue('directory_permissions', 'requires create_directory: true');
    if (c.format === 'csv' && c.compression) issue('compression', 'compression is not supported with format csv; use format parquet (zstd inside the file) or json');
    if (c.format === 'parquet' && c.rotation) issue('rotation', 'rotation does not apply to format parquet: every request becomes its own file');
    if (c.format === 'parquet' && c.append) issue('append', 'append does not apply to format parquet: a Parquet file cannot be appended to');
    if (c.fields !== undefined && c.format !== 'csv' && c.format !== 'parquet') issue('fields', 'fields applies only to format csv or parquet');
    if (c.fields !== undefined) {
      try {
        parseColumns(c.fields);
      } catch (err) {
        if (!(err instanceof FieldError)) throw err;
        issue('fields', err.message);
      }
    }
    if (c.group_by !== undefined) issue('group_by', 'not supported yet');
    if (c.encoding !== undefined) issue('encoding', 'encoding extensions are not supported yet; use format json, proto, csv or parquet');
  });

export type FileConfig = z.output<typeof fileConfigSchema>;
export type RotationConfig = z.output<typeof rotationSchema>;
