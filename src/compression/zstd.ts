import { createRequire } from 'node:module';
import { Transform, type TransformCallback } from 'node:stream';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { Decompress } from 'fzstd';

/**
 * zstd for the OTLP receiver (Content-Encoding: zstd, as the Collector accepts) and for the
 * exporters' `compression: zstd`. node:zlib has zstd from Node 22.15 / 23.8 and is used there
 * (native, compression on the thread pool). Node 20 has none, and the project runs on 20 too, so
 * there: compression through zstd compiled to WebAssembly (@bokuweb/zstd-wasm, on the event loop:
 * 2-11 ms per MB here, depending on the data) and decompression through fzstd (pure JS, streaming, so
 * the receiver's body limit stops a bomb after at most one block). No native addon either way.
 */

interface NativeZstd {
  zstdCompress?: (data: Uint8Array, cb: (err: Error | null, out: Buffer) => void) => void;
  createZstdDecompress?: () => Transform;
}
const native = zlib as unknown as NativeZstd;

/** Whether node:zlib does zstd itself (otherwise the WebAssembly / JS fallback runs). */
export const nativeZstd = typeof native.zstdCompress === 'function' && typeof native.createZstdDecompress === 'function';

const nativeCompress = native.zstdCompress ? promisify(native.zstdCompress) : undefined;

interface ZstdWasm {
  init(): Promise<void>;
  compress(data: Uint8Array, level?: number): Uint8Array;
}
let wasm: Promise<ZstdWasm> | undefined;
function loadWasm(): Promise<ZstdWasm> {
  // Its CommonJS build: the package's ESM build uses require() and would not load.
  wasm ??= (async () => {
    const mod = createRequire(import.meta.url)('@bokuweb/zstd-wasm') as ZstdWasm;
    await mod.init();
    return mod;
  })();
  return wasm;
}

/** Level 3: zstd's own default level. */
const LEVEL = 3;

/** One zstd frame holding `data`. */
export async function zstdCompress(data: Uint8Array): Promise<Buffer> {
  if (nativeCompress) return nativeCompress(data);
  const z = await loadWasm();
  const out = z.compress(data, LEVEL);
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

/** A stream that decompresses zstd (one or more frames); errors on invalid or truncated input. */
export function createZstdDecompress(): Transform {
  if (nativeZstd) return native.createZstdDecompress!();
  return new FzstdTransform();
}

class FzstdTransform extends Transform {
  private readonly decoder = new Decompress((chunk) => {
    if (chunk.byteLength > 0) this.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  });

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    try {
      this.decoder.push(chunk);
      done();
    } catch (err) {
      done(asError(err));
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      this.decoder.push(new Uint8Array(0), true);
      done();
    } catch (err) {
      done(asError(err));
    }
  }
}

/** fzstd throws errors with a bare code; an allocation for a huge declared window throws RangeError. */
function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
