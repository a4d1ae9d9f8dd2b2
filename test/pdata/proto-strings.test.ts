import { describe, expect, it } from 'vitest';
import type { KeyValue, Logs } from '../../src/pdata/model.js';
import { newLogRecord } from '../../src/pdata/model.js';
import { decodeLogs, encodeLogs } from '../../src/pdata/proto.js';

function logsWith(attributes: KeyValue[]): Logs {
  return { resourceLogs: [{ scopeLogs: [{ logRecords: [newLogRecord({ attributes })], schemaUrl: '' }], schemaUrl: '' }] };
}

/** A deterministic pseudo-random ASCII string (xorshift), printable and control characters. */
function randomAscii(seed: number, length: number): string {
  let x = seed || 1;
  let s = '';
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    s += String.fromCharCode((x >>> 0) % 128);
  }
  return s;
}

describe('protobuf strings and integers', () => {
  it('decodes thousands of short keys and values exactly, whatever the intern table held before', () => {
    const attributes: KeyValue[] = [];
    for (let i = 0; i < 5000; i++) attributes.push({ key: randomAscii(i + 1, 1 + (i % 45)), value: { stringValue: randomAscii(i + 7919, i % 50) } });
    const bytes = encodeLogs(logsWith(attributes));
    // Twice: the second decode meets a table filled by the first.
    for (let round = 0; round < 2; round++) expect(decodeLogs(bytes).resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!.attributes).toEqual(attributes);
  });

  it('decodes strings at the intern limit, non-ASCII and look-alikes of the same length', () => {
    const keys = ['a'.repeat(39), 'a'.repeat(40), 'a'.repeat(41), 'b'.repeat(40), 'é', 'ée', '日本', '🚀', 'x\u0000y', 'ab', 'ba', 'Ab', 'aB'];
    const attributes = keys.map((key, i) => ({ key, value: { stringValue: keys[keys.length - 1 - i]! } }));
    const bytes = encodeLogs(logsWith(attributes));
    for (let round = 0; round < 2; round++) expect(decodeLogs(bytes).resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!.attributes).toEqual(attributes);
  });

  it('round-trips int64 values on both sides of the small-value fast path', () => {
    const values = [0n, 1n, 127n, 128n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, -1n, -0x80000000n, 9_223_372_036_854_775_807n, -9_223_372_036_854_775_808n];
    const attributes = values.map((v, i) => ({ key: `k${i}`, value: { intValue: v } }));
    const decoded = decodeLogs(encodeLogs(logsWith(attributes))).resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!.attributes;
    expect(decoded).toEqual(attributes);
  });
});
