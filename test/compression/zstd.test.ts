import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { decompress as referenceDecompress } from 'fzstd';
import { describe, expect, it } from 'vitest';
import { createZstdDecompress, zstdCompress } from '../../src/compression/zstd.js';

/** What test/fixtures/zstd-cli-two-frames.zst holds: made by the reference `zstd` CLI (v1.5.4), two frames, the first with a checksum. */
function fixtureText(): string {
  let s = '';
  for (let i = 0; i < 20000; i++) s += `make-otel-gateway zstd fixture line ${i}\n`;
  return s;
}

async function decompressAll(input: Uint8Array, pieceBytes = 1000): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for (let at = 0; at < input.length; at += pieceBytes) pieces.push(Buffer.from(input.subarray(at, at + pieceBytes)));
  const out: Buffer[] = [];
  const stream = Readable.from(pieces).pipe(createZstdDecompress());
  for await (const chunk of stream) out.push(chunk as Buffer);
  return Buffer.concat(out);
}

describe('zstd (node:zlib where it has it, WebAssembly / JS on Node 20)', () => {
  it('decompresses what the reference zstd CLI wrote (two frames, fed in pieces)', async () => {
    const fixture = readFileSync(new URL('../fixtures/zstd-cli-two-frames.zst', import.meta.url));
    expect((await decompressAll(fixture)).toString('utf8')).toBe(fixtureText());
  });

  it('compresses into frames an independent decoder reads back, smaller than the input', async () => {
    const input = Buffer.from(fixtureText());
    const compressed = await zstdCompress(input);
    expect(compressed.length).toBeLessThan(input.length / 4);
    expect(Buffer.from(referenceDecompress(compressed)).equals(input)).toBe(true);
    expect((await decompressAll(compressed)).equals(input)).toBe(true);
  });

  it('keeps each result intact when it compresses again (no view into reused memory)', async () => {
    const a = await zstdCompress(Buffer.from('a'.repeat(5000)));
    const copy = Buffer.from(a);
    await zstdCompress(Buffer.from('b'.repeat(90000)));
    expect(a.equals(copy)).toBe(true);
  });

  it('fails on truncated and on invalid input instead of returning partial data', async () => {
    const compressed = await zstdCompress(Buffer.from(fixtureText()));
    await expect(decompressAll(compressed.subarray(0, compressed.length - 10))).rejects.toThrow();
    await expect(decompressAll(Buffer.from('this is not zstd data at all'))).rejects.toThrow();
  });
});
