import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { byteSize } from '../config/types.js';
import { COMPRESSIONS, FORMATS, STATUSES, exportSpecSchema, type ExportSpec } from './job.js';
import { parseRange } from './time-range.js';

/** `make-otel-gateway export ...` flags → a resolved job spec (docs/exports.md). */

export const EXPORT_USAGE = `usage:
  make-otel-gateway export --config FILE [--receiver ID] --from T --to T [--scenario ID]...
      [--status success|warning|error]... [--where COND]... [--statement STMT]...
      [--format jsonl|otlp-json|csv|parquet] [--fields LIST] [--compression none|gzip|zstd|brotli|snappy]
      [--chunk-records N] [--chunk-bytes SIZE] (--out DIR | --exporter ID)
  make-otel-gateway export list [--limit N] --config FILE
  make-otel-gateway export status ID --config FILE
  make-otel-gateway export cancel ID --config FILE
  make-otel-gateway export resume ID --config FILE
T: RFC 3339, epoch ms, "now", or relative ("-24h", "-7d"). Exit 0 on success, 1 on failure, 2 on usage error.`;

export class UsageError extends Error {}

export const EXPORT_OPTIONS = {
  config: { type: 'string', multiple: true, short: 'c' },
  receiver: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  scenario: { type: 'string', multiple: true },
  status: { type: 'string', multiple: true },
  where: { type: 'string', multiple: true },
  statement: { type: 'string', multiple: true },
  format: { type: 'string' },
  fields: { type: 'string' },
  compression: { type: 'string' },
  'chunk-records': { type: 'string' },
  'chunk-bytes': { type: 'string' },
  out: { type: 'string' },
  exporter: { type: 'string' },
  limit: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function parseExportArgs(argv: string[]) {
  try {
    return parseArgs({ args: joinRelativeTimes(argv), allowPositionals: true, options: EXPORT_OPTIONS });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/**
 * `--from -24h`: node's parseArgs reads a value starting with "-" as another option; a relative
 * time after --from/--to is joined into `--from=-24h` first.
 */
function joinRelativeTimes(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = argv[i + 1];
    if ((a === '--from' || a === '--to') && next !== undefined && /^-\d/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

type Values = ReturnType<typeof parseExportArgs>['values'];

/** Flags → spec; `receiver` is resolved by the caller (it needs the config). */
export function specFromFlags(v: Values, receiver: string, nowMs = Date.now()): ExportSpec {
  if ((v.out === undefined) === (v.exporter === undefined)) throw new UsageError('give exactly one of --out DIR or --exporter ID');
  const { fromMs, toMs } = parseRange(v.from, v.to ?? 'now', nowMs);
  const format = v.format ?? 'jsonl';
  if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format: expected one of ${FORMATS.join(', ')}, got "${format}"`);
  if (v.compression !== undefined && !(COMPRESSIONS as readonly string[]).includes(v.compression)) throw new UsageError(`--compression: expected one of ${COMPRESSIONS.join(', ')}, got "${v.compression}"`);
  for (const s of v.status ?? []) if (!(STATUSES as readonly string[]).includes(s)) throw new UsageError(`--status: expected one of ${STATUSES.join(', ')}, got "${s}"`);
  const parsed = exportSpecSchema.safeParse({
    receiver,
    fromMs,
    toMs,
    scenarioIds: v.scenario?.flatMap((s) => s.split(',')).map((s) => positiveInt(s, '--scenario')),
    statuses: v.status,
    where: v.where ?? [],
    statements: v.statement ?? [],
    format,
    fields: v.fields?.split(',').map((f) => f.trim()).filter(Boolean),
    compression: v.compression,
    chunkRecords: v['chunk-records'] === undefined ? undefined : positiveInt(v['chunk-records'], '--chunk-records'),
    chunkBytes: v['chunk-bytes'] === undefined ? undefined : size(v['chunk-bytes']),
    destination: v.out !== undefined ? { type: 'file', directory: resolve(v.out) } : { type: 'exporter', exporter: v.exporter },
  });
  if (!parsed.success) throw new UsageError(parsed.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('\n'));
  return parsed.data;
}

export function positiveInt(text: string, flag: string): number {
  const t = text.trim();
  if (!/^\d+$/.test(t) || Number(t) <= 0 || !Number.isSafeInteger(Number(t))) throw new UsageError(`${flag}: expected a positive integer, got "${text}"`);
  return Number(t);
}

function size(text: string): number {
  const r = byteSize().safeParse(/^\d+$/.test(text) ? Number(text) : text);
  if (!r.success || r.data <= 0) throw new UsageError(`--chunk-bytes: expected a size like 104857600 or "100MiB", got "${text}"`);
  return r.data;
}
