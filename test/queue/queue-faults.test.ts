import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { RetryableError } from '../../src/errors.js';
import { QUEUE_DB_FILE, type QueueDatabase } from '../../src/queue/database.js';
import { SqliteQueue, type SqliteQueueOptions } from '../../src/queue/sqlite-queue.js';
import { SPARE_FILE } from '../../src/queue/disk-reserve.js';
import { HEADER_BYTES } from '../../src/queue/stage-format.js';
import { IDLE_SEGMENTS, SEGMENT_BYTES, StageLog } from '../../src/queue/stage-log.js';
import { enqueueUntilKilled } from './fixtures/enqueue-until-killed-parent.js';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

/** Fault tests named after the fault (docs/architecture.md §4), after Vector's known_errors tests. */

const dirs: string[] = [];
const queues: SqliteQueue[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'queue-fault-'));
  dirs.push(dir);
  return dir;
}
function open(dir: string, extra: Partial<SqliteQueueOptions> = {}): SqliteQueue {
  const q = SqliteQueue.open({ directory: dir, fsync: true, exporterId: 'otlphttp/torn', sizer: 'requests', capacity: 10_000_000, overflow: 'refuse', ...extra });
  queues.push(q);
  return q;
}
afterEach(async () => {
  for (const q of queues.splice(0)) await q.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Take and ack everything stored; returns the first 4 bytes of each payload as a number. */
async function drain(q: SqliteQueue): Promise<number[]> {
  const seen: number[] = [];
  while (q.size() > 0) {
    const r = await q.take();
    seen.push(new DataView(r!.bytes.buffer, r!.bytes.byteOffset).getUint32(0));
    await q.ack(r!.id);
  }
  return seen;
}

function seq(n: number, size = 16): Uint8Array {
  const bytes = new Uint8Array(size);
  new DataView(bytes.buffer).setUint32(0, n);
  return bytes;
}

describe('queue fault handling', () => {
  it('skips and counts a stored record that fails its checksum', async () => {
    const dir = tempDir();
    const q = open(dir);
    for (let i = 0; i < 3; i++) await q.enqueue({ bytes: seq(i), items: 1 });
    await q.close();
    const raw = new Database(join(dir, QUEUE_DB_FILE));
    // Flip a payload byte behind the queue's back, as a bad disk sector would.
    raw.prepare(`UPDATE "q_otlphttp_torn" SET payload = ? WHERE id = 2`).run(Buffer.from(seq(99)));
    raw.close();

    let corrupt = 0;
    const again = open(dir, { onCorrupt: () => corrupt++ });
    expect(await drain(again)).toEqual([0, 2]);
    expect(corrupt).toBe(1);
    expect(again.deadLetterSize()).toBe(1);
    const check = new Database(join(dir, QUEUE_DB_FILE), { readonly: true });
    const aside = check.prepare('SELECT reason FROM dead_letter').all();
    check.close();
    expect(aside).toEqual([{ reason: 'corrupt record: checksum mismatch' }]);
  });

  it('skips, counts and keeps aside a record of the stage log that fails its checksum after a crash', async () => {
    const dir = tempDir();
    const acknowledged = await enqueueUntilKilled(dir, 100);
    // Flip a byte inside the first staged payload, as a bad disk sector would.
    const segment = StageLog.path(dir, 1);
    const bytes = readFileSync(segment);
    const damaged = bytes.readUInt32BE(HEADER_BYTES + 'otlphttp/torn'.length);
    bytes[HEADER_BYTES + 'otlphttp/torn'.length + 100] ^= 0xff;
    writeFileSync(segment, bytes);

    let corrupt = 0;
    const q = open(dir, { onCorrupt: () => corrupt++ });
    const delivered = new Set(await drain(q));
    expect(corrupt).toBe(1);
    expect(delivered.has(damaged)).toBe(false);
    expect([...acknowledged].filter((n) => n !== damaged && !delivered.has(n))).toEqual([]);
    expect(q.deadLetterSize()).toBe(1);
    const check = new Database(join(dir, QUEUE_DB_FILE), { readonly: true });
    const aside = check.prepare('SELECT reason FROM dead_letter').all();
    check.close();
    expect(aside).toEqual([{ reason: 'corrupt record: checksum mismatch (stage log)' }]);
  });

  it('opens and delivers after a torn write', async () => {
    const dir = tempDir();
    const acknowledged = await enqueueUntilKilled(dir, 300);
    const delivered = new Set(await drain(open(dir)));
    const lost = [...acknowledged].filter((n) => !delivered.has(n));
    expect(lost).toEqual([]);
    expect(delivered.size).toBeGreaterThanOrEqual(acknowledged.size);
  });

  it('opens and delivers after a torn write at the tail of the write-ahead log', async () => {
    const dir = tempDir();
    const acknowledged = await enqueueUntilKilled(dir, 200);
    const wal = join(dir, `${QUEUE_DB_FILE}-wal`);
    expect(existsSync(wal)).toBe(true);
    // Half a frame of garbage at the end: what a write cut off mid-way leaves behind.
    appendFileSync(wal, Buffer.alloc(2000, 0xab));
    const delivered = new Set(await drain(open(dir)));
    expect([...acknowledged].filter((n) => !delivered.has(n))).toEqual([]);
  });

  it('refuses to share a queue directory with another running gateway, and takes over after it was killed', async () => {
    const dir = tempDir();
    let whileRunning: unknown;
    await enqueueUntilKilled(dir, 20, () => {
      try {
        open(dir);
      } catch (err) {
        whileRunning = err;
      }
    });
    expect((whileRunning as Error).message).toMatch(/in use by another gateway \(pid \d+\)/);
    expect(open(dir).size()).toBeGreaterThanOrEqual(20);
  });

  it('refuses new requests with a retryable error when the disk is full, keeps what it acknowledged, and takes requests again once there is space', async () => {
    const dir = tempDir();
    const q = open(dir);
    const payload = 16 * 1024;
    for (let i = 0; i < 5; i++) await q.enqueue({ bytes: seq(i, payload), items: 1 });
    // SQLite's page limit fails a growing commit with SQLITE_FULL, as a full file system does; the
    // stage log fails the way it would on a full disk: it cannot get a segment file.
    // The queue's own connection (owned by the queue here; by file_storage in the gateway).
    const database = (q as unknown as { database: QueueDatabase }).database;
    const pages = database.db.pragma('page_count', { simple: true }) as number;
    database.db.pragma(`max_page_count = ${pages + 10}`);
    const stage = database.staging.log as unknown as { append: (...args: unknown[]) => unknown };
    const append = stage.append;
    stage.append = () => {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    };
    let refused: unknown;
    let acknowledged = 5;
    for (let i = 5; i < 100 && !refused; i++) {
      try {
        await q.enqueue({ bytes: seq(i, payload), items: 1 });
        acknowledged++;
      } catch (err) {
        refused = err;
      }
    }
    expect(refused).toBeInstanceOf(RetryableError);
    expect((refused as Error).message).toMatch(/could not store the request: .*full/i);
    expect(q.size()).toBe(acknowledged);
    // Delivery goes on meanwhile (acks free space rather than take it).
    const first = await q.take();
    const delivered = new DataView(first!.bytes.buffer, first!.bytes.byteOffset).getUint32(0);
    await q.ack(first!.id);
    database.db.pragma('max_page_count = 1073741823');
    stage.append = append;
    await q.enqueue({ bytes: seq(1000, payload), items: 1 });
    await q.close();
    // Every acknowledged request but the delivered one, once; the order may differ, since those
    // stored in the table while the stage log could not take them are handed out first.
    const expected = [...Array.from({ length: acknowledged }, (_, i) => i).filter((n) => n !== delivered), 1000];
    expect((await drain(open(dir))).sort((a, b) => a - b)).toEqual(expected);
  });

  it('gives disk space back after a large backlog drains', async () => {
    const dir = tempDir();
    const q = open(dir, { fsync: false });
    const payload = 16 * 1024;
    // 64 MB: half in the stage log (its 32 MiB bound), the rest moved into the table.
    for (let batch = 0; batch < 40; batch++) {
      await Promise.all(Array.from({ length: 100 }, (_, i) => q.enqueue({ bytes: seq(batch * 100 + i, payload), items: 1 })));
    }
    // Every file the queue keeps: the database, its WAL, the stage log's segments; not the spare
    // file kept for acks on a full disk (disk-reserve.ts), which is constant.
    const diskBytes = (): number => filesUnder(dir).filter((f) => !f.endsWith(SPARE_FILE)).reduce((sum, f) => sum + statSync(f).size, 0);
    const full = diskBytes();
    expect(full).toBeGreaterThan(4000 * payload);
    expect(await drain(q)).toHaveLength(4000);
    // Once the stage stayed empty for a second, it keeps only its idle segments; the database is
    // back to a few pages.
    const kept = IDLE_SEGMENTS * SEGMENT_BYTES + 1024 * 1024;
    const deadline = Date.now() + 10_000;
    while (diskBytes() > kept && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(diskBytes()).toBeLessThanOrEqual(kept);
    expect(diskBytes()).toBeLessThan(full / 4);
  });
});
