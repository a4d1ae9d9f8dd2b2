import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { Transform } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import { syncDirectoryAsync } from '../../queue/sync-directory.js';
import { cellToText, decodeCell, type Column } from '../columns.js';
import type { Compression, ExportFormat } from '../job.js';
import { compressor } from './compress.js';
import { renderParquet } from './parquet.js';

/**
 * Staging file → final chunk file. The final file is written under a temporary name, fsync'd and
 * renamed, so a file with the final name is always complete; rendering is a pure function of the
 * staging file, so a job resumed after a crash writes byte-identical files (same sha256).
 */

export interface RenderedFile {
  bytes: number;
  sha256: string;
}

export interface RenderOptions {
  format: ExportFormat;
  columns: Column[] | undefined;
  compression: Compression;
  stagingPath: string;
  finalPath: string;
}

export async function renderChunk(o: RenderOptions): Promise<RenderedFile> {
  const tmp = `${o.finalPath}.tmp`;
  const hash = createHash('sha256');
  let bytes = 0;
  if (o.format === 'parquet') {
    const buf = await renderParquet(await readStagedRows(o.stagingPath), o.columns!, o.compression);
    hash.update(buf);
    bytes = buf.length;
    await writeFile(tmp, buf);
  } else {
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        bytes += chunk.length;
        done(null, chunk);
      },
    });
    const stages: NodeJS.ReadWriteStream[] = [];
    if (o.format === 'csv') stages.push(csvRows(), stringify({ header: true, columns: o.columns!.map((c) => c.name), record_delimiter: 'windows' }));
    const z = compressor(o.compression);
    if (z) stages.push(z);
    await pipeline([createReadStream(o.stagingPath), ...stages, counter, createWriteStream(tmp)] as unknown as readonly NodeJS.ReadWriteStream[]);
  }
  const fh = await open(tmp, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, o.finalPath);
  await syncDirectoryAsync(dirname(o.finalPath));
  return { bytes, sha256: hash.digest('hex') };
}

/** Staging JSON rows (bytes) → arrays of CSV text cells (objects, for csv-stringify). */
function csvRows(): Transform {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  const emit = (t: Transform, text: string) => {
    const lines = (rest + text).split('\n');
    rest = lines.pop()!;
    for (const line of lines) if (line) t.push((JSON.parse(line) as unknown[]).map((v) => cellToText(decodeCell(v))));
  };
  return new Transform({
    readableObjectMode: true,
    transform(chunk: Buffer, _enc, done) {
      try {
        emit(this, decoder.write(chunk));
        done();
      } catch (err) {
        done(err as Error);
      }
    },
    flush(done) {
      try {
        emit(this, decoder.end() + '\n');
        done();
      } catch (err) {
        done(err as Error);
      }
    },
  });
}

async function readStagedRows(path: string): Promise<unknown[][]> {
  const rows: unknown[][] = [];
  for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) if (line) rows.push(JSON.parse(line) as unknown[]);
  return rows;
}

export async function removeQuietly(path: string): Promise<void> {
  await rm(path, { force: true });
}
