import { createRequire } from 'node:module';
import * as zlib from 'node:zlib';
import { parquetWriteBuffer, type ColumnSource } from 'hyparquet-writer';
import { decodeCell, type Cell, type Column } from '../columns.js';
import type { Compression } from '../job.js';

/**
 * A Parquet chunk with typed columns: times TIMESTAMP(ms) (INT64, TIMESTAMP_MILLIS), ints INT64,
 * doubles DOUBLE, booleans BOOLEAN, the rest UTF8 strings; every column nullable. A column's type
 * is what its values share in the chunk; a column mixing kinds falls back to strings. The whole
 * chunk is built in memory (hyparquet-writer writes a buffer), which `chunk_records` bounds.
 */

type ParquetKind = 'TIMESTAMP' | 'INT64' | 'DOUBLE' | 'BOOLEAN' | 'STRING';

export async function renderParquet(rows: unknown[][], columns: Column[], compression: Compression): Promise<Buffer> {
  const columnData: ColumnSource[] = columns.map((col, ci) => {
    const cells: Cell[] = rows.map((r) => decodeCell(r[ci] ?? null));
    const kind = kindOf(cells);
    return { name: col.name, type: kind, nullable: true, data: cells.map((c) => convert(c, kind)) } as ColumnSource;
  });
  const codec = compression === 'zstd' ? 'ZSTD' : compression === 'none' ? 'UNCOMPRESSED' : 'SNAPPY';
  const compressors = codec === 'ZSTD' ? { ZSTD: await zstdSync() } : undefined;
  const ab = parquetWriteBuffer({ columnData, codec, compressors, createdBy: 'make-otel-gateway export' });
  return Buffer.from(ab);
}

function kindOf(cells: Cell[]): ParquetKind {
  let kind: ParquetKind | undefined;
  for (const c of cells) {
    if (c === null) continue;
    const k: ParquetKind =
      typeof c === 'object' ? 'TIMESTAMP' : typeof c === 'bigint' ? 'INT64' : typeof c === 'number' ? 'DOUBLE' : typeof c === 'boolean' ? 'BOOLEAN' : 'STRING';
    if (kind === undefined) kind = k;
    else if (kind !== k) {
      // ints and doubles together are doubles; anything else mixed is text.
      kind = (kind === 'INT64' && k === 'DOUBLE') || (kind === 'DOUBLE' && k === 'INT64') ? 'DOUBLE' : 'STRING';
    }
  }
  return kind ?? 'STRING';
}

function convert(c: Cell, kind: ParquetKind): unknown {
  if (c === null) return null;
  switch (kind) {
    case 'TIMESTAMP':
      return new Date((c as { timeMs: number }).timeMs);
    case 'INT64':
      return c as bigint;
    case 'DOUBLE':
      return Number(c);
    case 'BOOLEAN':
      return c;
    default:
      return typeof c === 'object' ? new Date(c.timeMs).toISOString() : String(c);
  }
}

interface ZstdWasm {
  init(): Promise<void>;
  compress(data: Uint8Array, level?: number): Uint8Array;
}

/** hyparquet-writer wants a synchronous compressor: node:zlib's where present, else zstd-wasm. */
async function zstdSync(): Promise<(input: Uint8Array) => Uint8Array> {
  const native = (zlib as unknown as { zstdCompressSync?: (b: Uint8Array) => Buffer }).zstdCompressSync;
  if (native) return (input) => native(input);
  const mod = createRequire(import.meta.url)('@bokuweb/zstd-wasm') as ZstdWasm;
  await mod.init();
  return (input) => mod.compress(input, 3);
}
