import { Transform, type TransformCallback } from 'node:stream';
import { constants, createBrotliCompress, createGzip } from 'node:zlib';
import { zstdCompress } from '../../compression/zstd.js';
import type { Compression } from '../job.js';

/**
 * The stream compression of text exports. zstd is written as a sequence of frames, one per
 * ZSTD_BLOCK_BYTES of input: concatenated frames are one valid zstd file (RFC 8878 section 3.1),
 * and Node 20 has no streaming zstd compressor of its own (src/compression/zstd.ts).
 */

const ZSTD_BLOCK_BYTES = 4 * 1024 * 1024;

export const COMPRESSION_SUFFIX: Record<Compression, string> = { none: '', gzip: '.gz', zstd: '.zst', brotli: '.br', snappy: '' };

export function compressor(c: Compression): Transform | undefined {
  switch (c) {
    case 'gzip':
      return createGzip();
    case 'brotli':
      // Quality 5: the default 11 is an order of magnitude slower for a few percent.
      return createBrotliCompress({ params: { [constants.BROTLI_PARAM_QUALITY]: 5 } });
    case 'zstd':
      return new ZstdFrames();
    default:
      return undefined;
  }
}

class ZstdFrames extends Transform {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes < ZSTD_BLOCK_BYTES) return done();
    this.flushFrame().then(() => done(), done);
  }

  override _flush(done: TransformCallback): void {
    this.flushFrame().then(() => done(), done);
  }

  private async flushFrame(): Promise<void> {
    if (this.pendingBytes === 0) return;
    const data = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    this.push(await zstdCompress(data));
  }
}
