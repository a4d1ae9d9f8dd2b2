import { createHash } from 'node:crypto';
import { z } from 'zod';
import { parseColumns } from './columns.js';
import { ottlProblems } from './record-shaper.js';

/**
 * The export job model: source + time range + selection + shape + output (docs/exports.md).
 * A spec is resolved (relative times fixed, defaults filled) before it is stored, and the job id
 * is derived from it: the same request twice is the same job, so a finished job answers with
 * the same files and manifest, and an interrupted one resumes instead of starting over.
 */

export const FORMATS = ['jsonl', 'otlp-json', 'csv', 'parquet'] as const;
export const COMPRESSIONS = ['none', 'gzip', 'zstd', 'brotli', 'snappy'] as const;
export const STATUSES = ['success', 'warning', 'error'] as const;
export const JOB_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;

export type ExportFormat = (typeof FORMATS)[number];
export type Compression = (typeof COMPRESSIONS)[number];
export type ExecutionStatus = (typeof STATUSES)[number];
export type JobState = (typeof JOB_STATES)[number];

/** A chunk is closed at this many records when no limit is given: bounds a Parquet chunk's memory. */
export const DEFAULT_CHUNK_RECORDS = 1_000_000;

export const destinationSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('file'), directory: z.string().min(1) }),
  z.strictObject({ type: z.literal('exporter'), exporter: z.string().min(1) }),
]);

export const exportSpecSchema = z
  .strictObject({
    /** Schedule job name, when the job comes from `make_exports`. */
    name: z.string().optional(),
    receiver: z.string().min(1),
    fromMs: z.number().int().nonnegative(),
    toMs: z.number().int().positive(),
    scenarioIds: z.array(z.number().int().positive()).optional(),
    statuses: z.array(z.enum(STATUSES)).optional(),
    where: z.array(z.string()).default([]),
    statements: z.array(z.string()).default([]),
    format: z.enum(FORMATS).default('jsonl'),
    fields: z.array(z.string().min(1)).optional(),
    compression: z.enum(COMPRESSIONS).optional(),
    chunkRecords: z.number().int().positive().default(DEFAULT_CHUNK_RECORDS),
    chunkBytes: z.number().int().positive().optional(),
    destination: destinationSchema,
  })
  .superRefine((s, ctx) => {
    if (s.fromMs >= s.toMs) ctx.addIssue({ code: 'custom', path: ['fromMs'], message: 'from must be before to' });
    const c = s.compression;
    if (s.format === 'parquet' && c !== undefined && !['none', 'snappy', 'zstd'].includes(c)) {
      ctx.addIssue({ code: 'custom', path: ['compression'], message: `parquet compresses inside the file: use snappy (default), zstd or none, not ${c}` });
    }
    if (s.format !== 'parquet' && c === 'snappy') ctx.addIssue({ code: 'custom', path: ['compression'], message: 'snappy is for parquet only; use none, gzip, zstd or brotli' });
    if (s.fields && s.format === 'otlp-json') ctx.addIssue({ code: 'custom', path: ['fields'], message: 'otlp-json keeps the OTLP shape; fields apply to jsonl, csv and parquet' });
    for (const message of ottlProblems(s.where, s.statements)) ctx.addIssue({ code: 'custom', path: [], message });
    if (s.fields) {
      try {
        parseColumns(s.fields);
      } catch (err) {
        ctx.addIssue({ code: 'custom', path: ['fields'], message: (err as Error).message });
      }
    }
  });

export type ExportSpecInput = z.input<typeof exportSpecSchema>;
export type ExportSpec = z.output<typeof exportSpecSchema>;

export interface JobProgress {
  scenariosDone: number;
  scenariosTotal: number;
  records: number;
  bytes: number;
  /** Start time (epoch ms) of the last execution read, within the current scenario. */
  positionMs?: number;
}

export interface ExportFile {
  /** Absolute path (file destination). */
  path: string;
  records: number;
  bytes: number;
  sha256: string;
}

export interface JobInfo {
  id: string;
  spec: ExportSpec;
  state: JobState;
  progress: JobProgress;
  files: ExportFile[];
  error?: string;
  createdAt: number;
  updatedAt: number;
}

/** The summary line of the CLI and the MCP tool's structured result. */
export function jobSummary(job: JobInfo): { job: string; state: JobState; records: number; files: ExportFile[]; error?: string } {
  return { job: job.id, state: job.state, records: job.progress.records, files: job.files, ...(job.error ? { error: job.error } : {}) };
}

/** Parquet's own codec, or the stream compression of the other formats. */
export function effectiveCompression(spec: Pick<ExportSpec, 'format' | 'compression'>): Compression {
  return spec.compression ?? (spec.format === 'parquet' ? 'snappy' : 'none');
}

/** `exp-` + 16 hex of the canonical spec's sha256. */
export function jobIdFor(spec: ExportSpec): string {
  return `exp-${createHash('sha256').update(canonicalJson(spec)).digest('hex').slice(0, 16)}`;
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Where the engine stands: enough to continue after a kill -9. */
export interface Checkpoint {
  /** The scenarios to read, fixed on the first run so a resume reads the same list. */
  scenarios: { id: number; name?: string; teamId?: number }[];
  scenarioIndex: number;
  /** imtId after which the current scenario continues. */
  last?: string;
  chunkSeq: number;
  chunkRecords: number;
  /** Bytes of the current chunk's staging file that are committed. */
  stagingBytes: number;
}
