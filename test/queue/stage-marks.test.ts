import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { HEADER_BYTES, scanSegment, type ScannedRecord, STATE_OFFSET, STATE_RELEASED, STATE_SPILLED, STATE_TAKEN, type StageRecord } from '../../src/queue/stage-format.js';
import { readLeftovers, SEGMENT_BYTES, StageLog, type StageSlot } from '../../src/queue/stage-log.js';
import { IMAGE_MAX_BYTES } from '../../src/queue/stage-marks.js';

/**
 * State words written in batches (stage-marks.ts): the file must end up byte for byte as if each
 * word had been written on its own (the slow path), a segment reused after its records were
 * released must not get stale bytes written over its new records, and a SPILLED word must be on
 * disk before `markSpilled` returns.
 */

const EXPORTER = 'otlphttp/a';
const dirs: string[] = [];
const logs: StageLog[] = [];
afterEach(async () => {
  // A spare segment still landing would appear in the directory while it is removed (ENOTEMPTY).
  for (const l of logs.splice(0)) {
    await l.settled();
    l.close();
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
});
function openLog(): { dir: string; log: StageLog } {
  const dir = mkdtempSync(join(tmpdir(), 'stage-marks-'));
  dirs.push(dir);
  const log = new StageLog(dir);
  logs.push(log);
  return { dir, log };
}
/** Varied sizes: 1-record requests (~300 B), 10-record ones (~3 KB), and one past the image limit. */
function record(n: number, bytes: number): StageRecord {
  const payload = Buffer.alloc(bytes, n % 251);
  payload.writeUInt32BE(n, 0);
  return { exporterId: EXPORTER, items: 1 + (n % 10), checksum: crc32(payload), enqueuedAt: 1_700_000_000_000 + n, payload };
}
const numbers = (records: StageRecord[]) => records.map((r) => r.payload.readUInt32BE(0));
const turn = () => new Promise((r) => setImmediate(r));

describe('stage log state words in batches', () => {
  it('leaves the segment byte-identical to writing each state word on its own', async () => {
    const { dir, log } = openLog();
    const sizes = [300, 3000, 300, 300, IMAGE_MAX_BYTES + 100, 3000, 300, 300, 1200, 300, 300, 300];
    const placed: StageSlot[] = [];
    for (let n = 0; n < 60; n += 6) placed.push(...log.append(Array.from({ length: 6 }, (_, i) => record(n + i, sizes[(n + i) % sizes.length]!))).placed);
    const path = StageLog.path(dir, placed[0]!.slot);
    const expected = readFileSync(path);
    const word = (at: StageSlot, state: number, rowId = 0) => {
      expected.writeUInt32LE(state, at.offset + STATE_OFFSET);
      if (rowId) expected.writeUInt32LE(rowId, at.offset + STATE_OFFSET + 4);
    };
    // A worker takes a run, the backend acknowledges part of it, one is copied to row 7, others
    // are taken and released in the same turn, out of order.
    for (let n = 10; n < 30; n++) (log.markTaken(placed[n]!), word(placed[n]!, STATE_TAKEN));
    for (const n of [12, 11, 10, 14, 13, 29, 20]) (log.release(placed[n]!), word(placed[n]!, STATE_RELEASED));
    log.markSpilled(placed[40]!, 7);
    word(placed[40]!, STATE_SPILLED, 7);
    for (const n of [55, 50, 51, 4]) (log.markTaken(placed[n]!), word(placed[n]!, STATE_TAKEN), log.release(placed[n]!), word(placed[n]!, STATE_RELEASED));
    await turn();
    expect(readFileSync(path).equals(expected)).toBe(true);
    // What a crash finds: exactly the records not released, the taken ones marked so.
    const scanned = scanSegment(readFileSync(path), SEGMENT_BYTES);
    const released = new Set([12, 11, 10, 14, 13, 29, 20, 55, 50, 51, 4]);
    expect(numbers(scanned.records)).toEqual(Array.from({ length: 60 }, (_, n) => n).filter((n) => !released.has(n)));
    expect(numbers(scanned.records.filter((r) => r.taken))).toEqual(Array.from({ length: 20 }, (_, i) => 10 + i).filter((n) => !released.has(n)));
    expect(scanned.records.find((r) => r.payload.readUInt32BE(0) === 40)?.spilledTo).toBe(7);
    expect(scanned.corrupt).toEqual([]);
    expect(scanned.lost).toEqual([]);
  });

  it('writes a SPILLED word before markSpilled returns, and any reader of the stage sees the latest words', () => {
    const { dir, log } = openLog();
    const placed = log.append(Array.from({ length: 5 }, (_, n) => record(n, 300))).placed;
    const path = StageLog.path(dir, placed[0]!.slot);
    log.release(placed[0]!);
    log.markTaken(placed[1]!);
    log.markSpilled(placed[3]!, 42);
    const bytes = readFileSync(path);
    expect(bytes.readUInt32LE(placed[3]!.offset + STATE_OFFSET)).toBe(STATE_SPILLED);
    expect(bytes.readUInt32LE(placed[3]!.offset + STATE_OFFSET + 4)).toBe(42);
    log.release(placed[2]!);
    // readLeftovers (and the crash-time fold) flush what this process still holds back.
    const left = readLeftovers(dir).records;
    expect(numbers(left)).toEqual([1, 3, 4]);
    expect(left.map((r) => (r as ScannedRecord).taken)).toEqual([true, false, false]);
  });

  it('does not write a released record\'s stale bytes over the records of the segment\'s next use', async () => {
    const { dir, log } = openLog();
    const payload = IMAGE_MAX_BYTES - HEADER_BYTES - EXPORTER.length;
    const perSegment = Math.floor(SEGMENT_BYTES / IMAGE_MAX_BYTES);
    const first = log.append(Array.from({ length: perSegment }, (_, n) => record(n, payload))).placed;
    expect(new Set(first.map((p) => p.slot)).size).toBe(1);
    // Taken and released in this turn, words still pending; the next appends fill the second
    // segment and come back to the first one, now free.
    for (const at of first) (log.markTaken(at), log.release(at));
    const second: StageSlot[] = [];
    for (let n = 0; second.length === 0 || second.at(-1)!.slot !== first[0]!.slot; n++) second.push(...log.append([record(1000 + n, payload)]).placed);
    await turn();
    const reused = scanSegment(readFileSync(StageLog.path(dir, first[0]!.slot)), SEGMENT_BYTES);
    expect(numbers(reused.records)).toEqual([1000 + second.length - 1]);
    expect(reused.lost).toEqual([]);
    expect(reused.corrupt).toEqual([]);
  });
});
