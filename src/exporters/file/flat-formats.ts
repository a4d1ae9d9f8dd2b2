import { promises as fs } from 'node:fs';
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { cellToText, DEFAULT_FIELDS, parseColumns, type Cell, type Column } from '../../export/columns.js';
import { renderParquet } from '../../export/writers/parquet.js';
import type { Logs } from '../../pdata/model.js';
import { syncDirectoryAsync } from '../../queue/sync-directory.js';
import { formatStamp } from './rotation.js';

/**
 * The file exporter's flat formats (`csv`, `parquet`) reuse the export engine's columns and
 * writers, so a column reads and types the same in `export` output and in the file exporter
 * (docs/debug-file-exporters.md).
 */

export function fileColumns(fields: readonly string[] | undefined): Column[] {
  return parseColumns(fields ?? DEFAULT_FIELDS);
}

/** One row of typed cells per log record, in request order. */
export function rowsOf(logs: Logs, columns: Column[]): Cell[][] {
  const rows: Cell[][] = [];
  for (const rl of logs.resourceLogs) {
    for (const sl of rl.scopeLogs) {
      for (const rec of sl.logRecords) rows.push(columns.map((c) => c.read(rl.resource, rec)));
    }
  }
  return rows;
}

/** The same RFC 4180 shape as the export engine's CSV chunks: CRLF records, quoting as needed. */
const CSV_OPTIONS = { record_delimiter: 'windows' } as const;

export function csvHeader(columns: Column[]): Buffer {
  return Buffer.from(stringify([columns.map((c) => c.name)], CSV_OPTIONS), 'utf8');
}

export function csvRows(rows: Cell[][]): Buffer {
  return Buffer.from(stringify(rows.map((r) => r.map(cellToText)), CSV_OPTIONS), 'utf8');
}

/** Parquet's codec: `compression: zstd` → ZSTD, otherwise the export engine's default, Snappy. */
export function renderParquetFile(rows: Cell[][], columns: Column[], zstd: boolean): Promise<Buffer> {
  return renderParquet(rows, columns, zstd ? 'zstd' : 'snappy');
}

/**
 * `<path without extension>-<UTC stamp>-<seq>.parquet`, e.g. `logs-2026-12-04T18-52-02.123-000007.parquet`.
 * The stamp sorts files by write time; seq (6 digits, per process) keeps names apart within one
 * millisecond and orders them within it.
 */
export function parquetFilePath(basePath: string, at: Date, seq: number): string {
  const ext = path.extname(basePath);
  const stem = path.join(path.dirname(basePath), path.basename(basePath, ext));
  return `${stem}-${formatStamp(at, false)}-${String(seq).padStart(6, '0')}.parquet`;
}

/**
 * A complete file or none: written under a temporary name, fsync'd, renamed, then the directory
 * fsync'd, so a crash leaves no partial file under a final name and a written file survives it.
 * An existing name is never overwritten (false is returned): the caller picks the next seq.
 */
export async function writeFileAtomically(finalPath: string, bytes: Uint8Array): Promise<boolean> {
  if (await exists(finalPath)) return false;
  const tmp = `${finalPath}.tmp`;
  const fh = await fs.open(tmp, 'w', 0o600);
  try {
    await fh.write(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    if (await exists(finalPath)) return false;
    await fs.rename(tmp, finalPath);
  } finally {
    await fs.rm(tmp, { force: true });
  }
  await syncDirectoryAsync(path.dirname(finalPath));
  return true;
}

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(
    () => true,
    () => false,
  );
}
