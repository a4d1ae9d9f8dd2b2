import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { QUEUE_DB_FILE } from '../../src/queue/database.js';
import { SqliteQueue } from '../../src/queue/sqlite-queue.js';
import { HEADER_BYTES, scanSegment, type StageRecord } from '../../src/queue/stage-format.js';
import { readLeftovers, SEGMENT_BYTES, STAGE_DIR, StageLog, type StageSlot } from '../../src/queue/stage-log.js';

/**
 * The stage log (stage-log.ts): young requests' bytes, written once into reused segment files.
 * What a crash leaves in it must be exactly the requests not yet released, so the next start
 * delivers what was acknowledged and as little else as possible.
 */

const dirs: string[] = [];
const logs: StageLog[] = [];
afterEach(async () => {
  // A spare segment may still be landing off the event loop: let it land (or be dropped) before
  // the directory goes, or its file appears in the directory while rmSync empties it (ENOTEMPTY).
  for (const l of logs.splice(0)) {
    await l.settled();
    l.close();
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'stage-log-'));
  dirs.push(dir);
  return dir;
}
function record(n: number, bytes = 64 * 1024): StageRecord {
  const payload = Buffer.alloc(bytes, n % 251);
  payload.writeUInt32BE(n, 0);
  return { exporterId: 'otlphttp/a', items: 1, checksum: crc32(payload), enqueuedAt: 1_700_000_000_000 + n, payload };
}
const numbers = (records: StageRecord[]) => records.map((r) => r.payload.readUInt32BE(0));

describe('stage log', () => {
  it('leaves after a crash exactly the records not yet released, across segments and reuse', () => {
    const dir = tempDir();
    const log = new StageLog(dir);
    logs.push(log);
    // 64 KiB records: a 4 MiB segment holds 63 of them, so 150 span three segments.
    const perSegment = Math.floor(SEGMENT_BYTES / (64 * 1024 + HEADER_BYTES + 'otlphttp/a'.length));
    const placed: StageSlot[] = [];
    for (let n = 0; n < 150; n += 10) placed.push(...log.append(Array.from({ length: 10 }, (_, i) => record(n + i))).placed);
    expect(new Set(placed.map((p) => p.slot)).size).toBe(3);
    // Release the whole first segment and every other record after it.
    for (let n = 0; n < 150; n++) if (n < perSegment || n % 2 === 0) log.release(placed[n]!);
    const expectedLive = Array.from({ length: 150 }, (_, n) => n).filter((n) => n >= perSegment && n % 2 === 1);
    // Exactly the live ones come back: a released record stays released even beside live ones
    // (format 1 brought whole segments back: a crash during an outage doubled the backlog).
    const left = readLeftovers(dir);
    expect(numbers(left.records)).toEqual(expectedLive);
    expect(left.lost).toEqual([]);
    expect(left.missing).toEqual([]);
    // Its next use writes a newer generation over it; the older records behind are not read as new.
    const reusedSlot = placed[0]!.slot;
    const written: number[] = [];
    for (let n = 1000; written.length < 2; n++) {
      const [at] = log.append([record(n)]).placed;
      if (at!.slot === reusedSlot) written.push(n);
    }
    expect(numbers(scanSegment(readFileSync(StageLog.path(dir, reusedSlot))).records)).toEqual(written);
  });

  it('has the next segment ready, preallocated, before the one in use fills (created off the event loop)', async () => {
    const dir = tempDir();
    const created: number[] = [];
    const log = new StageLog(dir, (slot) => created.push(slot));
    logs.push(log);
    const perSegment = Math.floor(SEGMENT_BYTES / (64 * 1024 + 64));
    const first = log.append([record(0)]).placed[0]!;
    await log.settled();
    // One segment written to, and a spare beside it, both full size.
    const files = readdirSync(join(dir, STAGE_DIR)).sort();
    expect(files).toHaveLength(2);
    for (const f of files) expect(statSync(join(dir, STAGE_DIR, f)).size).toBe(SEGMENT_BYTES);
    expect(created).toHaveLength(2);
    // Filling the first segment moves on into the spare: no segment is created on the way.
    const placed = [first];
    for (let n = 1; n <= perSegment; n++) placed.push(log.append([record(n)]).placed[0]!);
    expect(new Set(placed.map((p) => p.slot)).size).toBe(2);
    expect(created).toHaveLength(2);
    // And what went into the spare is found after a crash like anything else.
    await log.settled();
    expect(numbers(readLeftovers(dir).records)).toEqual(Array.from({ length: perSegment + 1 }, (_, n) => n));
  });

  it('leaves no segment file behind when it closes while a spare is being created', async () => {
    const dir = tempDir();
    const log = new StageLog(dir);
    log.release(log.append([record(1)]).placed[0]!);
    log.close();
    await log.settled();
    expect(existsSync(join(dir, STAGE_DIR))).toBe(false);
  });

  it('leaves no gap after a failed write, so what is written after it is still found after a crash', () => {
    const dir = tempDir();
    const log = new StageLog(dir);
    logs.push(log);
    log.append([record(1, 1000)]);
    const segment = (log as unknown as { segments: Map<number, { fd: number }> }).segments.get(1)!;
    const writable = segment.fd;
    segment.fd = openSync(StageLog.path(dir, 1), 'r'); // writes to it fail (EBADF), as a failing disk's would
    expect(() => log.append([record(2, 1000), record(3, 1000)])).toThrow();
    closeSync(segment.fd);
    segment.fd = writable;
    log.append([record(4, 1000)]);
    expect(numbers(readLeftovers(dir).records)).toEqual([1, 4]);
  });

  it('reports a record whose payload fails its checksum, and scans past a damaged header to the next record', () => {
    const dir = tempDir();
    const log = new StageLog(dir);
    logs.push(log);
    log.append([record(1, 1000), record(2, 1000), record(3, 1000), record(4, 1000)]);
    const path = StageLog.path(dir, 1);
    const bytes = readFileSync(path);
    const recordSize = HEADER_BYTES + 'otlphttp/a'.length + 1000;
    bytes[recordSize + HEADER_BYTES + 'otlphttp/a'.length + 500] ^= 0xff; // the second payload
    bytes[2 * recordSize + 10] ^= 0xff; // the third header
    const scanned = scanSegment(bytes);
    expect(numbers(scanned.records)).toEqual([1, 4]);
    expect(numbers(scanned.corrupt)).toEqual([2]);
    expect(scanned.lost).toEqual([{ offset: 2 * recordSize, bytes: recordSize, records: 1, exporterId: 'otlphttp/a' }]);
  });
});

describe('persistent queue with the stage log', () => {
  const queues: SqliteQueue[] = [];
  afterEach(async () => {
    for (const q of queues.splice(0)) await q.close();
  });

  it('moves requests older than 2 s into the table, those a worker holds included, and hands none out twice', async () => {
    const dir = tempDir();
    const q = SqliteQueue.open({ directory: dir, fsync: true, exporterId: 'otlphttp/a', sizer: 'requests', capacity: 100, overflow: 'refuse' });
    queues.push(q);
    for (let n = 0; n < 4; n++) await q.enqueue({ bytes: new Uint8Array([n]), items: 1 });
    const held = [(await q.take())!, (await q.take())!];
    const rows = () => {
      const raw = new Database(join(dir, QUEUE_DB_FILE), { readonly: true });
      const r = raw.prepare('SELECT payload FROM "q_otlphttp_a" ORDER BY id').all() as { payload: Buffer }[];
      raw.close();
      return r.map((x) => x.payload[0]);
    };
    expect(rows()).toEqual([]);
    const deadline = Date.now() + 10_000;
    // In the table once committed; released from the stage once that commit is durable (fsync'd).
    while ((rows().length < 4 || readLeftovers(dir).records.length > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(rows()).toEqual([0, 1, 2, 3]);
    expect(readLeftovers(dir).records).toEqual([]);
    // The held ones settle through their rows: one delivered, one refused for good.
    await q.ack(held[0]!.id);
    await q.deadLetter(held[1]!.id, 'permanent: HTTP 400');
    // The two that waited are handed out from the table, once.
    const rest = [(await q.poll())!, (await q.poll())!];
    expect(rest.map((r) => r.bytes[0])).toEqual([2, 3]);
    expect(await q.poll()).toBeUndefined();
    for (const r of rest) await q.ack(r.id);
    expect(rows()).toEqual([]);
    expect(q.size()).toBe(0);
    expect(q.deadLetterSize()).toBe(1);
  });

  it('stages a 3 MB request (10,000 records) rather than writing it into SQLite, and finds it after a crash', async () => {
    const dir = tempDir();
    const q = SqliteQueue.open({ directory: dir, fsync: true, exporterId: 'otlphttp/a', sizer: 'requests', capacity: 100, overflow: 'refuse' });
    queues.push(q);
    const big = (n: number) => {
      const payload = Buffer.alloc(3 * 1024 * 1024, n);
      return { bytes: payload, items: 10_000 };
    };
    // Two of them do not fit one segment: the second opens the next.
    await q.enqueue(big(1));
    await q.enqueue(big(2));
    const staged = readLeftovers(dir).records;
    expect(staged.map((r) => [r.payload.byteLength, r.payload[0]])).toEqual([
      [3 * 1024 * 1024, 1],
      [3 * 1024 * 1024, 2],
    ]);
    const raw = new Database(join(dir, QUEUE_DB_FILE), { readonly: true });
    expect(raw.prepare('SELECT count(*) FROM "q_otlphttp_a"').pluck().get()).toBe(0);
    raw.close();
    const taken = (await q.take())!;
    expect([taken.items, taken.bytes.byteLength, taken.bytes[0]]).toEqual([10_000, 3 * 1024 * 1024, 1]);
  });

  it('moves its oldest staged requests into the table once the stage holds too much, and delivers each once, in order', async () => {
    const dir = tempDir();
    const q = SqliteQueue.open({ directory: dir, fsync: false, exporterId: 'otlphttp/a', sizer: 'requests', capacity: 100_000, overflow: 'refuse' });
    queues.push(q);
    const payload = 16 * 1024;
    const total = 2600; // 42 MB: past the 32 MiB the stage holds
    for (let n = 0; n < total; n += 100) {
      await Promise.all(
        Array.from({ length: 100 }, (_, i) => {
          const bytes = new Uint8Array(payload);
          new DataView(bytes.buffer).setUint32(0, n + i);
          return q.enqueue({ bytes, items: 1 });
        }),
      );
    }
    const raw = new Database(join(dir, QUEUE_DB_FILE), { readonly: true });
    const inTable = raw.prepare('SELECT count(*) FROM "q_otlphttp_a"').pluck().get() as number;
    raw.close();
    expect(inTable).toBeGreaterThan(0);
    expect(inTable).toBeLessThan(total);
    const seen: number[] = [];
    while (q.size() > 0) {
      const r = (await q.take())!;
      seen.push(new DataView(r.bytes.buffer, r.bytes.byteOffset).getUint32(0));
      await q.ack(r.id);
    }
    expect(seen).toEqual(Array.from({ length: total }, (_, n) => n));
  });
});
