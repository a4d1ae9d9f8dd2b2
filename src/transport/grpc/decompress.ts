import { promisify } from 'node:util';
import { gunzip, inflate } from 'node:zlib';
import { GrpcCode } from './codes.js';
import type { ReadRefusal } from './message-reader.js';

/**
 * Request decompression for `grpc-encoding` gzip and deflate (what grpc-js and grpc-go clients
 * send), bounded by the receive limit: zlib stops at `maxOutputLength`, so a compression bomb is
 * refused without being inflated in memory. zlib runs on the thread pool, off the event loop.
 */

/** Sent as `grpc-accept-encoding`, and listed when refusing another encoding. */
export const ACCEPTED_ENCODINGS = 'identity,deflate,gzip';

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

export function isSupportedEncoding(encoding: string): boolean {
  return encoding === 'identity' || encoding === 'gzip' || encoding === 'deflate';
}

/** The decompressed message, or the refusal: over the limit → RESOURCE_EXHAUSTED, corrupt → INVALID_ARGUMENT. */
export async function decompressMessage(encoding: string, message: Uint8Array, maxBytes: number): Promise<Buffer | ReadRefusal> {
  const run = encoding === 'gzip' ? gunzipAsync : inflateAsync;
  try {
    return await run(message, { maxOutputLength: Math.max(1, maxBytes) });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      return { code: GrpcCode.RESOURCE_EXHAUSTED, message: `received message that decompresses to more than max (${maxBytes} bytes)` };
    }
    // Corrupt data is the client's permanent fault, as for a corrupt gzip body over OTLP/HTTP.
    return { code: GrpcCode.INVALID_ARGUMENT, message: `cannot decompress the ${encoding} message: ${(err as Error).message}` };
  }
}
