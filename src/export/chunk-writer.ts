import { closeSync, fsyncSync, ftruncateSync, mkdirSync, openSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Column } from './columns.js';
import { effectiveCompression, type ExportFile, type ExportSpec } from './job.js';
import { renderChunk, removeQuietly } from './writers/chunk-file.js';
import { COMPRESSION_SUFFIX } from './writers/compress.js';

/**
 * The numbered chunk files of a file export. Records are appended to the current chunk's staging
 * file (`.<job>.NNNNN.staging`); `sync` makes them durable before the job store commits the page.
 * A full chunk is rendered into its final file (`part-NNNNN.<ext>`). Resuming truncates staging to
 * the committed length: whatever followed came from a page that was never committed.
 */

const EXTENSIONS = { jsonl: 'jsonl', 'otlp-json': 'otlp.jsonl', csv: 'csv', parquet: 'parquet' } as const;

export interface ChunkPosition {
  seq: number;
  records: number;
  stagingBytes: number;
}

export class ChunkWriter {
  private fd: number | undefined;
  readonly position: ChunkPosition;

  constructor(
    private readonly directory: string,
    private readonly jobId: string,
    private readonly spec: ExportSpec,
    private readonly columns: Column[] | undefined,
    start: ChunkPosition,
  ) {
    mkdirSync(directory, { recursive: true });
    this.position = { ...start };
    this.openStaging(start.stagingBytes);
  }

  get full(): boolean {
    const p = this.position;
    return p.records >= this.spec.chunkRecords || (this.spec.chunkBytes !== undefined && p.stagingBytes >= this.spec.chunkBytes);
  }

  /** Room left in the current chunk, in records. */
  get roomRecords(): number {
    return Math.max(1, this.spec.chunkRecords - this.position.records);
  }

  append(lines: string[], records: number): number {
    const buf = Buffer.from(lines.map((l) => l + '\n').join(''), 'utf8');
    writeSync(this.fd!, buf, 0, buf.length, this.position.stagingBytes);
    this.position.stagingBytes += buf.length;
    this.position.records += records;
    return buf.length;
  }

  sync(): void {
    fsyncSync(this.fd!);
  }

  /** Renders the current chunk and starts the next; returns the finished file. */
  async rotate(): Promise<ExportFile & { seq: number }> {
    const file = await this.finish();
    this.position.seq += 1;
    this.position.records = 0;
    this.position.stagingBytes = 0;
    this.openStaging(0);
    return file;
  }

  /**
   * Renders the current chunk. Its staging file stays until `discardStaging` (after the job store
   * committed the file): a crash in between re-renders it on resume.
   */
  async finish(): Promise<ExportFile & { seq: number }> {
    this.sync();
    const seq = this.position.seq;
    const finalPath = join(this.directory, `part-${String(seq).padStart(5, '0')}.${EXTENSIONS[this.spec.format]}${COMPRESSION_SUFFIX[effectiveCompression(this.spec)]}`);
    const out = await renderChunk({ format: this.spec.format, columns: this.columns, compression: effectiveCompression(this.spec), stagingPath: this.stagingPath(seq), finalPath });
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    return { seq, path: finalPath, records: this.position.records, ...out };
  }

  async discardStaging(seq: number): Promise<void> {
    await removeQuietly(this.stagingPath(seq));
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private stagingPath(seq: number): string {
    return join(this.directory, `.${this.jobId}.${String(seq).padStart(5, '0')}.staging`);
  }

  private openStaging(committedBytes: number): void {
    const path = this.stagingPath(this.position.seq);
    this.fd = openSync(path, committedBytes === 0 ? 'w' : 'r+');
    const size = statSync(path).size;
    if (size < committedBytes) throw new Error(`staging file ${path} is shorter (${size} bytes) than committed (${committedBytes}); the export directory was changed`);
    ftruncateSync(this.fd, committedBytes);
  }
}
