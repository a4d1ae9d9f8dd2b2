/**
 * The gRPC-over-HTTP/2 wire details the unary server needs (the "gRPC over HTTP2" protocol
 * document): the 5-byte message prefix, `grpc-timeout`, the percent-encoded `grpc-message` and
 * unpadded base64 for `-bin` headers.
 */

/** Compressed flag (1 byte) + message length (4 bytes, big-endian) before every message. */
export const MESSAGE_PREFIX_BYTES = 5;

/** One length-prefixed, uncompressed message, in a single allocation. */
export function frameMessage(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(MESSAGE_PREFIX_BYTES + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  out.set(message, MESSAGE_PREFIX_BYTES);
  return out;
}

const TIMEOUT = /^(\d{1,8})([HMSmun])$/;
const UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1_000, m: 1, u: 1e-3, n: 1e-6 };

/**
 * `grpc-timeout` ("TimeoutValue TimeoutUnit": at most 8 digits, then H/M/S/m/u/n) in ms,
 * rounded up so a deadline never fires early; undefined when absent or malformed (a malformed
 * value is ignored, as grpc-go does, rather than failing a call the client meant to succeed).
 */
export function parseGrpcTimeout(value: string | string[] | undefined): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = TIMEOUT.exec(value);
  if (!m) return undefined;
  return Math.ceil(Number(m[1]) * UNIT_MS[m[2]]);
}

/**
 * `grpc-message` is percent-encoded UTF-8: bytes outside printable ASCII, and `%` itself, become
 * `%XX`. Clients decode it (grpc-js with decodeURI), so non-ASCII text survives the trip.
 */
export function encodeGrpcMessage(text: string): string {
  // Fast path: the usual message is plain ASCII.
  if (/^[\x20-\x24\x26-\x7e]*$/.test(text)) return text;
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Binary header values are base64 "emitted without padding". */
export function binaryHeaderValue(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64').replace(/=+$/, '');
}
