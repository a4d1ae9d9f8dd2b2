import { describe, expect, it } from 'vitest';
import { JsonBytes } from '../../../src/exporters/datadog/json-bytes.js';

const STRINGS = [
  '',
  'plain',
  'quote " and backslash \\ and slash /',
  'controls \b\f\n\r\t \u0000 \u0001 \u001f \u007f end',
  'héllo wörld — 日本語 🚀',
  'long '.repeat(2000),
  'escape after the short-string cut: ' + '"'.repeat(40),
];

describe('JSON bytes', () => {
  for (const s of STRINGS) {
    it(`writes a UTF-8 string as JSON.stringify does: ${JSON.stringify(s.slice(0, 30))}`, () => {
      const src = Buffer.from(`xx${s}yy`, 'utf8');
      const w = new JsonBytes(4);
      w.text('pre:');
      w.utf8String(src, 2, src.length - 2);
      expect(w.buf.toString('utf8', 0, w.pos)).toBe('pre:' + JSON.stringify(s));
    });
  }

  it('writes invalid UTF-8 as the decoded string would be (U+FFFD)', () => {
    const src = Buffer.from([0x61, 0xff, 0xc3, 0x22, 0xe2, 0x82]);
    const w = new JsonBytes(1);
    w.utf8String(src, 0, src.length);
    expect(w.buf.toString('utf8', 0, w.pos)).toBe(JSON.stringify(src.toString('utf8')));
  });

  it('writes text and bytes of every length, growing as needed', () => {
    const w = new JsonBytes(2);
    const parts = ['a', 'ü', 'x'.repeat(23), 'y'.repeat(24), '🚀'.repeat(30)];
    for (const p of parts) {
      w.text(p);
      w.bytes(Buffer.from(p));
    }
    expect(w.buf.toString('utf8', 0, w.pos)).toBe(parts.map((p) => p + p).join(''));
  });

  it('writes integers as String() does, zero-padded to a width', () => {
    const w = new JsonBytes(1);
    const ns = [0, 7, 10, 99, 1_000_000, 1_767_225_600_123, Number.MAX_SAFE_INTEGER];
    for (const n of ns) {
      w.digits(n);
      w.byte(0x2c);
      w.digits(n, 6);
      w.byte(0x2c);
    }
    expect(w.buf.toString('utf8', 0, w.pos)).toBe(ns.map((n) => `${n},${String(n).padStart(6, '0')},`).join(''));
  });

  it('writes bytes as lowercase hex', () => {
    const src = Uint8Array.from([0, 1, 0x0f, 0x10, 0xab, 0xff]);
    const w = new JsonBytes(1);
    w.hex(src, 1, src.length);
    expect(w.buf.toString('utf8', 0, w.pos)).toBe(Buffer.from(src.subarray(1)).toString('hex'));
  });
});
