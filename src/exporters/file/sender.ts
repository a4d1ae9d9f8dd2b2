import { constants as fsConstants, promises as fs, type Stats } from 'node:fs';
import path from 'node:path';
import { zstdCompress } from '../../compression/zstd.js';
import { GatewayError } from '../../errors.js';
import { logsToJson } from '../../pdata/json.js';
import type { Column } from '../../export/columns.js';
import type { Logger } from '../../telemetry/logger.js';
import { permanent, retryable, success, type ExportRequest, type LogsSender, type SendResult } from '../helper/sender.js';
import type { FileConfig } from './config.js';
import { protoToJson } from '../../pdata/schema-codec.js';
import { REQUEST_DEF } from '../../pdata/signal.js';
import { csvHeader, csvRows, fileColumns, parquetFilePath, renderParquetFile, rowsOf, writeFileAtomically } from './flat-formats.js';
import { maxBytes, pruneBackups, rotate } from './rotation.js';

/** Bytes of the big-endian length that precedes each message in framed output. */
const LENGTH_PREFIX_BYTES = 4;

/**
 * Appends each request to `path`: OTLP/JSON as one ExportLogsServiceRequest per line, or, for
 * `proto` and for compressed output, each message preceded by its length as a 4-byte big-endian
 * unsigned integer (the Collector's framing); `csv`: one row per record, a header row starting
 * each new or empty file. `parquet` cannot be appended to: each request becomes one complete
 * file next to `path` (see flat-formats.ts).
 *
 * Durability: the exporter queue deletes a request as soon as `send` reports success, so success
 * is reported only after the bytes are written and fdatasync'd (a regular file; a device or pipe
 * has nothing to sync). Writes are serialised (workers run concurrently) so entries never
 * interleave and rotation sees exact sizes.
 */
/** One OTLP/JSON line: logs from their model; traces and metrics from their bytes, as the Collector's file exporter writes them. */
function jsonOf(request: ExportRequest): string {
  return request.signal ? JSON.stringify(protoToJson(REQUEST_DEF[request.signal], request.bytes())) : logsToJson(request.logs());
}

export class FileSender implements LogsSender {
  private file: fs.FileHandle | undefined;
  private size = 0;
  /**
   * False for a device or a pipe (`/dev/stdout`, `/dev/null`, a FIFO): there is nothing on disk
   * to sync, and fdatasync fails there (EINVAL), which retried every request forever.
   */
  private syncs = true;
  private chain: Promise<unknown> = Promise.resolve();
  private started = false;
  /** csv: the next write starts with the header row (the file was empty when opened). */
  private needsHeader = false;
  private parquetSeq = 0;
  private readonly columns: Column[];

  constructor(
    private readonly config: FileConfig,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.columns = config.format === 'csv' || config.format === 'parquet' ? fileColumns(config.fields) : [];
  }

  async start(): Promise<void> {
    try {
      if (this.config.create_directory) {
        const mode = this.config.directory_permissions ? parseInt(this.config.directory_permissions, 8) : 0o755;
        await fs.mkdir(path.dirname(this.config.path), { recursive: true, mode });
      }
      // With rotation the existing file is continued (lumberjack's behaviour); else append decides.
      // Parquet writes a new file per request; there is no file at `path` to keep open.
      if (this.config.format !== 'parquet') await this.open(this.config.append || this.config.rotation ? 'a' : 'w');
      // ...but a directory it cannot write to should fail at start, as a bad path does for the others.
      else await fs.access(path.dirname(this.config.path), fsConstants.W_OK);
      this.started = true;
    } catch (err) {
      throw new GatewayError('COMPONENT_START_FAILED', `file exporter cannot open ${this.config.path}: ${(err as Error).message}`, { cause: err });
    }
  }

  send(request: ExportRequest, _signal: AbortSignal): Promise<SendResult> {
    // Encoded before joining the write chain, so entries stay in the order send() was called.
    const encoded = this.encode(request);
    // Handled where it is awaited below; this keeps an early rejection from counting as unhandled.
    encoded.catch(() => undefined);
    const result = this.chain.then(async () => {
      let entry: Uint8Array;
      try {
        entry = await encoded;
      } catch (err) {
        return permanent(`cannot encode request: ${(err as Error).message}`);
      }
      return this.write(entry);
    });
    this.chain = result.catch(() => undefined);
    return result;
  }

  async shutdown(): Promise<void> {
    this.started = false;
    await this.chain;
    await this.file?.close();
    this.file = undefined;
  }

  private async encode(request: ExportRequest): Promise<Uint8Array> {
    if (request.signal && (this.config.format === 'csv' || this.config.format === 'parquet')) throw new Error(`format ${this.config.format} holds log records only, not ${request.signal}`);
    if (this.config.format === 'csv') return csvRows(rowsOf(request.logs(), this.columns));
    if (this.config.format === 'parquet') {
      const rows = rowsOf(request.logs(), this.columns);
      // A file without rows would only clutter the directory.
      return rows.length ? renderParquetFile(rows, this.columns, this.config.compression === 'zstd') : new Uint8Array();
    }
    const compress = this.config.compression === 'zstd';
    const message = this.config.format === 'json' ? Buffer.from(jsonOf(request), 'utf8') : request.bytes();
    if (this.config.format === 'json' && !compress) return Buffer.concat([message, Buffer.from('\n')]);
    const body = compress ? await zstdCompress(message) : message;
    const framed = Buffer.alloc(LENGTH_PREFIX_BYTES + body.length);
    framed.writeUInt32BE(body.length, 0);
    framed.set(body, LENGTH_PREFIX_BYTES);
    return framed;
  }

  private async write(entry: Uint8Array): Promise<SendResult> {
    try {
      if (!this.started) return retryable('file exporter is not started');
      if (entry.length === 0) return success();
      if (this.config.format === 'parquet') return await this.writeParquet(entry);
      // A failed rotation may have left no open file: continue at the path.
      if (!this.file) await this.open('a');
      const rotation = this.config.rotation;
      // A single entry larger than the limit still goes into a fresh file rather than failing forever.
      if (rotation && this.size > 0 && this.size + entry.length > maxBytes(rotation)) await this.rotate();
      const file = this.file ?? (await this.open('a'));
      if (this.needsHeader) entry = Buffer.concat([csvHeader(this.columns), entry]);
      await file.write(entry);
      this.needsHeader = false;
      this.size += entry.length;
      if (this.syncs) await file.datasync();
      return success();
    } catch (err) {
      // Disk full, I/O errors, a removed directory: all may clear up, so the queue keeps the data.
      return retryable(`writing ${this.config.path} failed: ${(err as Error).message}`);
    }
  }

  private async writeParquet(bytes: Uint8Array): Promise<SendResult> {
    // Names are checked before use, so a restart within the same millisecond never overwrites.
    while (!(await writeFileAtomically(parquetFilePath(this.config.path, new Date(this.now()), this.parquetSeq++), bytes)));
    return success();
  }

  private async rotate(): Promise<void> {
    const rotation = this.config.rotation!;
    await this.file!.close();
    this.file = undefined;
    const backup = await rotate(this.config.path, rotation, this.now());
    this.logger.debug('rotated file', { backup });
    await this.open('w');
    const removed = await pruneBackups(this.config.path, rotation, this.now());
    if (removed.length > 0) this.logger.debug('removed old backups', { count: removed.length });
  }

  private async open(flags: 'a' | 'w'): Promise<fs.FileHandle> {
    const file = await fs.open(this.config.path, flags, 0o600);
    const stat: Stats = await file.stat();
    this.file = file;
    this.size = stat.size;
    this.syncs = stat.isFile();
    this.needsHeader = this.config.format === 'csv' && stat.size === 0;
    return file;
  }
}

