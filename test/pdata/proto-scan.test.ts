import { describe, expect, it } from 'vitest';
import { countLogRecords, newLogRecord } from '../../src/pdata/model.js';
import { decodeLogs, encodeLogs } from '../../src/pdata/proto.js';
import { scanLogs } from '../../src/pdata/proto-scan.js';
import { MAX_ANY_VALUE_DEPTH } from '../../src/pdata/proto-decode.js';
import type { AnyValue, Logs } from '../../src/pdata/model.js';
import { richLogs } from './fixtures.js';
import { randomLogs } from './random-logs.js';

/** What decodeLogs says about bytes: the record count, or the error message. */
function decodeOutcome(bytes: Uint8Array): number | string {
  try {
    return countLogRecords(decodeLogs(bytes));
  } catch (err) {
    return (err as Error).message;
  }
}

function scanOutcome(bytes: Uint8Array): number | string {
  try {
    return scanLogs(bytes).records;
  } catch (err) {
    return (err as Error).message;
  }
}

function seeded(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const oneRecord = (traceId: number, spanId: number): Logs => ({
  resourceLogs: [{ schemaUrl: '', scopeLogs: [{ schemaUrl: '', logRecords: [newLogRecord({ traceId: new Uint8Array(traceId), spanId: new Uint8Array(spanId) })] }] }],
});

describe('scanLogs (the decode-free walk)', () => {
  it('counts the records of well-formed requests exactly as decoding does', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const bytes = encodeLogs(randomLogs(seed));
      expect(scanLogs(bytes).records).toBe(countLogRecords(randomLogs(seed)));
    }
    expect(scanLogs(new Uint8Array(0))).toEqual({ records: 0, badIdLength: false });
  });

  it('refuses exactly the corrupted bodies decodeLogs refuses, with the same message', () => {
    const rnd = seeded(42);
    let refused = 0;
    for (let i = 0; i < 3000; i++) {
      const bytes = encodeLogs(i % 2 ? richLogs() : randomLogs(i));
      const mutated = Uint8Array.from(bytes);
      // Flip a few bytes, or truncate: framing errors at every nesting level.
      if (rnd() < 0.3) {
        const cut = Math.floor(rnd() * mutated.length);
        expect(scanOutcome(mutated.subarray(0, cut))).toEqual(decodeOutcome(mutated.subarray(0, cut)));
        continue;
      }
      for (let k = 0; k < 1 + Math.floor(rnd() * 3); k++) mutated[Math.floor(rnd() * mutated.length)] = Math.floor(rnd() * 256);
      const expected = decodeOutcome(mutated);
      if (typeof expected === 'string') refused++;
      expect(scanOutcome(mutated)).toEqual(expected);
    }
    expect(refused).toBeGreaterThan(100);
  });

  it('refuses AnyValue nesting deeper than the decoder allows', () => {
    let deep: AnyValue = { stringValue: 'x' };
    for (let i = 0; i <= MAX_ANY_VALUE_DEPTH + 1; i++) deep = { arrayValue: { values: [deep] } };
    const bytes = encodeLogs({ resourceLogs: [{ schemaUrl: '', scopeLogs: [{ schemaUrl: '', logRecords: [newLogRecord({ body: deep })] }] }] });
    expect(() => decodeLogs(bytes)).toThrow(/nested deeper/);
    expect(() => scanLogs(bytes)).toThrow(/nested deeper/);
  });

  it('flags a trace_id or span_id of impossible length, and only those', () => {
    expect(scanLogs(encodeLogs(oneRecord(16, 8))).badIdLength).toBe(false);
    expect(scanLogs(encodeLogs(oneRecord(0, 0))).badIdLength).toBe(false);
    expect(scanLogs(encodeLogs(oneRecord(15, 8))).badIdLength).toBe(true);
    expect(scanLogs(encodeLogs(oneRecord(16, 9))).badIdLength).toBe(true);
  });
});
