import type { IncomingMessage } from 'node:http';
import type { Readable, Transform } from 'node:stream';
import { createGunzip, createInflate } from 'node:zlib';
import { createZstdDecompress } from '../compression/zstd.js';
import { GatewayError, PermanentError } from '../errors.js';
import { HttpError } from './http-error.js';

/**
 * Reads an HTTP request body under a byte limit that holds both on the wire and after
 * decompression. The body is inflated as a stream and reading stops the moment the limit is
 * crossed, so a small gzip bomb (a few KB expanding to gigabytes) never reaches memory: at most
 * `maxBytes` plus one zlib chunk is ever buffered.
 */

/**
 * Content-Encoding values accepted; anything else is 415, the status RFC 9110 (15.5.16) gives an
 * unsupported content coding (the Collector answers 400). The Collector also takes snappy and lz4;
 * no OTLP client we know of sends those, and each would be another dependency.
 */
export type BodyEncoding = 'identity' | 'gzip' | 'deflate' | 'zstd';

/** Undefined for an encoding we do not support. Tokens are case-insensitive (RFC 9110). */
export function parseContentEncoding(header: string | undefined): BodyEncoding | undefined {
  const value = (header ?? '').trim().toLowerCase();
  if (value === '' || value === 'identity') return 'identity';
  if (value === 'gzip' || value === 'x-gzip') return 'gzip';
  // zlib: the Collector's name for the same zlib-wrapped deflate stream.
  if (value === 'deflate' || value === 'zlib') return 'deflate';
  if (value === 'zstd') return 'zstd';
  return undefined;
}

export class BodyTooLargeError extends GatewayError {
  constructor(maxBytes: number, decompressed: boolean) {
    super('PAYLOAD_TOO_LARGE', `request body exceeds max_request_body_size (${maxBytes} bytes)${decompressed ? ' after decompression' : ''}`);
  }
}

/** The client went away (or the socket broke) before the body was complete: nobody to answer. */
export class BodyAbortedError extends Error {}

/**
 * `onProgress` sees the (decompressed) byte count after every chunk; an error it returns stops
 * reading and rejects with it. Memory admission uses it to reserve an unsized or compressed body
 * while it streams in, not only once it is complete.
 */
export function readBody(req: Readable, encoding: BodyEncoding, maxBytes: number, onProgress?: (bodyBytes: number) => Error | undefined): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let wireBytes = 0;
    let bodyBytes = 0;
    let settled = false;
    const inflater = decoder(encoding);

    const finish = (err: Error | undefined, body?: Buffer) => {
      if (settled) return;
      settled = true;
      req.off('data', onWire);
      req.off('end', onWireEnd);
      req.off('error', onAbort);
      req.off('close', onClose);
      if (inflater) {
        inflater.removeAllListeners('data');
        inflater.destroy();
      }
      // Stop pulling the rest of a refused body; the caller drains or closes the connection.
      if (err) req.pause();
      if (err) reject(err);
      else resolve(body!);
    };

    const onBody = (chunk: Buffer) => {
      bodyBytes += chunk.length;
      if (bodyBytes > maxBytes) return finish(new BodyTooLargeError(maxBytes, inflater !== undefined));
      const refused = onProgress?.(bodyBytes);
      if (refused) return finish(refused);
      chunks.push(chunk);
    };
    const onWire = (chunk: Buffer) => {
      wireBytes += chunk.length;
      if (wireBytes > maxBytes) return finish(new BodyTooLargeError(maxBytes, false));
      if (!inflater) return onBody(chunk);
      // Respect zlib's backpressure so a fast client cannot queue unbounded input in front of it.
      if (!inflater.write(chunk)) {
        req.pause();
        inflater.once('drain', () => {
          if (!settled) req.resume();
        });
      }
    };
    const onWireEnd = () => {
      if (inflater) inflater.end();
      else finish(undefined, joined(chunks, bodyBytes));
    };
    const onAbort = () => finish(new BodyAbortedError('client closed the connection before the body was complete'));
    const onClose = () => {
      if (!(req as { complete?: boolean }).complete) onAbort();
    };

    if (inflater) {
      inflater.on('data', onBody);
      inflater.on('end', () => finish(undefined, joined(chunks, bodyBytes)));
      inflater.on('error', (e) => finish(new PermanentError(`request body is not valid ${encoding} data: ${e.message}`, 'PAYLOAD_INVALID')));
    }
    req.on('data', onWire);
    req.on('end', onWireEnd);
    req.on('error', onAbort);
    req.on('close', onClose);
  });
}

function decoder(encoding: BodyEncoding): Transform | undefined {
  if (encoding === 'gzip') return createGunzip();
  if (encoding === 'deflate') return createInflate();
  if (encoding === 'zstd') return createZstdDecompress();
  return undefined;
}

/**
 * The body as one Buffer. A body that arrived as one chunk is used as is (no copy: 4 % of the
 * event loop under load was this copy and the batch's), unless the chunk is a small view of a much
 * larger allocation that queuing it would keep alive.
 */
function joined(chunks: Buffer[], bytes: number): Buffer {
  const only = chunks.length === 1 ? chunks[0]! : undefined;
  if (only && only.byteLength * 2 >= only.buffer.byteLength) return only;
  return Buffer.concat(chunks, bytes);
}

/**
 * A kit server's body, as text, under `maxBytes`: refused with 413 from Content-Length before a
 * byte is read, or the moment the stream crosses the limit (the kit then answers and discards).
 */
export async function readTextBody(req: IncomingMessage, maxBytes: number, onProgress?: (bodyBytes: number) => Error | undefined): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > maxBytes) throw new HttpError(413, `request body exceeds ${maxBytes} bytes`);
  const encoding = parseContentEncoding(req.headers['content-encoding']);
  if (!encoding) throw new HttpError(415, 'unsupported content encoding; use gzip, deflate, zstd or none');
  try {
    return (await readBody(req, encoding, maxBytes, onProgress)).toString('utf8');
  } catch (err) {
    if (err instanceof BodyTooLargeError) throw new HttpError(413, err.message);
    if (err instanceof GatewayError && err.code === 'PAYLOAD_INVALID') throw new HttpError(400, err.message);
    throw err;
  }
}
