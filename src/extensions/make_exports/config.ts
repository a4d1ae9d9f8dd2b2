import { Cron } from 'croner';
import { z } from 'zod';
import { byteSize, duration } from '../../config/types.js';
import { COMPRESSIONS, FORMATS, STATUSES } from '../../export/job.js';
import { parseColumns } from '../../export/columns.js';
import { ottlProblems } from '../../export/record-shaper.js';

/**
 * `make_exports`: export jobs on a schedule (docs/exports.md). Each job has the keys of the CLI
 * (snake_case) plus `schedule` (cron, 5 fields, or 6 with seconds), `timezone`, `range` (the window
 * ending at the scheduled time) and `catch_up`. Each run writes to `out/<window end, UTC>/` or
 * sends to `exporter`.
 */

/** Runs kept in the job store per scheduled job. */
export const DEFAULT_HISTORY = 20;

const jobSchema = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'expected a name of letters, digits, "_", "." or "-"'),
    schedule: z.string().min(1),
    timezone: z.string().optional(),
    range: duration().refine((ms) => ms > 0, 'expected a positive duration like "24h"'),
    catch_up: z.boolean().default(true),
    receiver: z.string().optional(),
    scenarios: z.array(z.number().int().positive()).optional(),
    status: z.array(z.enum(STATUSES)).optional(),
    where: z.array(z.string()).default([]),
    statements: z.array(z.string()).default([]),
    format: z.enum(FORMATS).default('jsonl'),
    fields: z.array(z.string()).optional(),
    compression: z.enum(COMPRESSIONS).optional(),
    chunk_records: z.number().int().positive().optional(),
    chunk_bytes: byteSize().optional(),
    out: z.string().min(1).optional(),
    exporter: z.string().min(1).optional(),
  })
  .superRefine((j, ctx) => {
    if ((j.out === undefined) === (j.exporter === undefined)) ctx.addIssue({ code: 'custom', path: ['out'], message: 'set exactly one of out (a directory) or exporter (an exporter id)' });
    try {
      new Cron(j.schedule, { timezone: j.timezone, paused: true });
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['schedule'], message: `not a valid cron expression (or timezone): ${(err as Error).message}` });
    }
    for (const message of ottlProblems(j.where, j.statements)) ctx.addIssue({ code: 'custom', message });
    if (j.fields) {
      try {
        parseColumns(j.fields);
      } catch (err) {
        ctx.addIssue({ code: 'custom', path: ['fields'], message: (err as Error).message });
      }
    }
  });

export const makeExportsConfigSchema = z
  .strictObject({
    /** The file_storage extension whose directory keeps the job store. */
    storage: z.string().default('file_storage'),
    history: z.number().int().positive().default(DEFAULT_HISTORY),
    jobs: z.array(jobSchema).default([]),
  })
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.jobs.forEach((j, i) => {
      if (seen.has(j.name)) ctx.addIssue({ code: 'custom', path: ['jobs', i, 'name'], message: `job name "${j.name}" is used twice` });
      seen.add(j.name);
    });
  })
  .prefault({});

export type MakeExportsConfig = z.output<typeof makeExportsConfigSchema>;
export type ScheduledJobConfig = MakeExportsConfig['jobs'][number];
