/**
 * MurmurHash3 (Austin Appleby's public-domain algorithm), the two variants OTTL's `Murmur3Hash`
 * and `Murmur3Hash128` use: x86 32-bit and x64 128-bit, seed 0. Written here: it is a few lines,
 * and no npm package for it is maintained well enough to be worth a dependency.
 */

const C1_32 = 0xcc9e2d51;
const C2_32 = 0x1b873593;

/** MurmurHash3_x86_32 of `data`. */
export function murmur3x86_32(data: Uint8Array, seed = 0): number {
  let h = seed >>> 0;
  const blocks = data.length >>> 2;
  for (let i = 0; i < blocks; i++) {
    const o = i * 4;
    let k = data[o]! | (data[o + 1]! << 8) | (data[o + 2]! << 16) | (data[o + 3]! << 24);
    k = Math.imul(k, C1_32);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2_32);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  // The last 1-3 bytes, little-endian.
  const tail = blocks * 4;
  const rest = data.length & 3;
  if (rest > 0) {
    let k = 0;
    for (let j = rest - 1; j >= 0; j--) k = (k << 8) | data[tail + j]!;
    k = Math.imul(k, C1_32);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2_32);
    h ^= k;
  }
  h ^= data.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const M64 = (1n << 64n) - 1n;
const C1_64 = 0x87c37b91114253d5n;
const C2_64 = 0x4cf5ad432745937fn;
const mul64 = (a: bigint, b: bigint) => (a * b) & M64;
const rotl64 = (x: bigint, r: bigint) => ((x << r) | (x >> (64n - r))) & M64;

function fmix64(k: bigint): bigint {
  k ^= k >> 33n;
  k = mul64(k, 0xff51afd7ed558ccdn);
  k ^= k >> 33n;
  k = mul64(k, 0xc4ceb9fe1a85ec53n);
  k ^= k >> 33n;
  return k;
}

/** MurmurHash3_x64_128 of `data`: [h1, h2], as Go's murmur3.Sum128 returns them. */
export function murmur3x64_128(data: Uint8Array, seed = 0n): [bigint, bigint] {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let h1 = seed & M64;
  let h2 = seed & M64;
  const blocks = data.length >>> 4;
  for (let i = 0; i < blocks; i++) {
    let k1 = view.getBigUint64(i * 16, true);
    let k2 = view.getBigUint64(i * 16 + 8, true);
    k1 = mul64(rotl64(mul64(k1, C1_64), 31n), C2_64);
    h1 ^= k1;
    h1 = (mul64(rotl64(h1, 27n) + h2, 5n) + 0x52dce729n) & M64;
    k2 = mul64(rotl64(mul64(k2, C2_64), 33n), C1_64);
    h2 ^= k2;
    h2 = (mul64(rotl64(h2, 31n) + h1, 5n) + 0x38495ab5n) & M64;
  }
  // The tail: up to 15 bytes, little-endian into k1 (bytes 0-7) and k2 (bytes 8-14).
  const tail = blocks * 16;
  const rest = data.length & 15;
  let k1 = 0n;
  let k2 = 0n;
  for (let j = rest - 1; j >= 8; j--) k2 = (k2 << 8n) | BigInt(data[tail + j]!);
  for (let j = Math.min(rest, 8) - 1; j >= 0; j--) k1 = (k1 << 8n) | BigInt(data[tail + j]!);
  if (rest > 8) h2 ^= mul64(rotl64(mul64(k2, C2_64), 33n), C1_64);
  if (rest > 0) h1 ^= mul64(rotl64(mul64(k1, C1_64), 31n), C2_64);
  const len = BigInt(data.length);
  h1 ^= len;
  h2 ^= len;
  h1 = (h1 + h2) & M64;
  h2 = (h2 + h1) & M64;
  h1 = fmix64(h1);
  h2 = fmix64(h2);
  h1 = (h1 + h2) & M64;
  h2 = (h2 + h1) & M64;
  return [h1, h2];
}
