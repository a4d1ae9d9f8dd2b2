import { createHash } from 'node:crypto';
import { createXXHash128, createXXHash3 } from 'hash-wasm';
import { murmur3x64_128, murmur3x86_32 } from '../murmur3.js';
import { stringFn } from './converter-kit.js';
import type { Converter, FunctionDef } from './types.js';

/** OTTL's hash converters, with the Collector's output formats. */

function hexDigest(algorithm: string, s: string): string {
  return s === '' ? s : createHash(algorithm).update(s, 'utf8').digest('hex');
}

/** The hash's bytes in little-endian order, as hex: the Collector's Murmur3Hash/Murmur3Hash128 output. */
function murmur32Hex(s: string): string {
  const out = Buffer.alloc(4);
  out.writeUInt32LE(murmur3x86_32(Buffer.from(s, 'utf8')));
  return out.toString('hex');
}

function murmur128Hex(s: string): string {
  const [h1, h2] = murmur3x64_128(Buffer.from(s, 'utf8'));
  const out = Buffer.alloc(16);
  out.writeBigUInt64LE(h1, 0);
  out.writeBigUInt64LE(h2, 8);
  return out.toString('hex');
}

// XXH3 (64-bit) and XXH128, seed 0, from hash-wasm (WebAssembly; Node has no xxHash). Its hashers
// are made once, here, so the converters stay synchronous; the digest is the canonical big-endian
// hex, as the Collector's (zeebo/xxh3 Sum / Sum128().Bytes()).
const xxh3 = await createXXHash3();
const xxh128 = await createXXHash128();

const FNV64_OFFSET = 0xcbf29ce484222325n;
const FNV64_PRIME = 0x100000001b3n;

/** FNV-1a, 64 bits, over the UTF-8 bytes; returned as a signed int64 (Go's int64(Sum64())). */
function fnv1a64(s: string): bigint {
  let hash = FNV64_OFFSET;
  for (const byte of Buffer.from(s, 'utf8')) hash = BigInt.asUintN(64, (hash ^ BigInt(byte)) * FNV64_PRIME);
  return BigInt.asIntN(64, hash);
}

export const HASH_CONVERTERS: Record<string, FunctionDef<Converter>> = {
  // Hashes of a string, as the Collector's: hex digests, FNV-1a 64 as int64; "" stays "".
  // MurmurHash3, x86 32-bit and x64 128-bit, seed 0; unlike the digests above, "" is hashed too.
  Murmur3Hash: stringFn(murmur32Hex),
  Murmur3Hash128: stringFn(murmur128Hex),
  MD5: stringFn((s) => hexDigest('md5', s)),
  SHA1: stringFn((s) => hexDigest('sha1', s)),
  SHA256: stringFn((s) => hexDigest('sha256', s)),
  SHA512: stringFn((s) => hexDigest('sha512', s)),
  FNV: stringFn((s) => (s === '' ? s : fnv1a64(s))),
  // xxHash3: "" is hashed too.
  XXH3: stringFn((s) => xxh3.init().update(s).digest('hex')),
  XXH128: stringFn((s) => xxh128.init().update(s).digest('hex')),
};
