import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { QUEUE_DB_FILE, type QueueDatabase } from '../../src/queue/database.js';
import { DiskReserve, MARGIN_BYTES, SPARE_FILE } from '../../src/queue/disk-reserve.js';
import { SqliteQueue } from '../../src/queue/sqlite-queue.js';

/**
 * A full disk, simulated: the database's writes fail with SQLite's SQLITE_FULL while the disk is
 * "full", and the free space statfs reports is set by the test. Acks never need new space (the
 * spare file gives its room back), the queue gauge follows the acks, the backlog move into SQLite
 * waits for free space, and everything recovers without a restart.
 */

const dirs: string[] = [];
const queues: SqliteQueue[] = [];
afterEach(async () => {
  for (const q of queues.splice(0)) await q.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'queue-full-disk-'));
  dirs.push(dir);
  return dir;
}

function open(dir: string): SqliteQueue {
  const q = SqliteQueue.open({ directory: dir, fsync: true, exporterId: 'otlphttp/full', sizer: 'requests', capacity: 1000, overflow: 'refuse' });
  queues.push(q);
  return q;
}

/** The simulated disk: `free` bytes as statfs would say, and SQLITE_FULL on every write while `full`. */
function simulateDisk(q: SqliteQueue, dir: string) {
  const disk = { free: 64 * 1024 * 1024, full: false, refusedWrites: 0 };
  const database = (q as unknown as { database: QueueDatabase }).database;
  const realWrite = database.write.bind(database);
  database.write = ((op: () => unknown, options?: { durable?: boolean; bytes?: number }) => {
    if (!disk.full) return realWrite(op, options);
    disk.refusedWrites++;
    return Promise.reject(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }));
  }) as QueueDatabase['write'];
  // The spare the queue made at open (8 MiB) is replaced by one of this simulated disk's.
  rmSync(join(dir, SPARE_FILE), { force: true });
  const reserve = new DiskReserve(dir, () => disk.free, 1024 * 1024);
  const release = reserve.release.bind(reserve);
  // Deleting the spare gives the disk room again.
  reserve.release = () => {
    const freed = release();
    if (freed) disk.full = false;
    return freed;
  };
  database.reserve = reserve;
  return { disk, reserve };
}

function rows(dir: string): number {
  const db = new Database(join(dir, QUEUE_DB_FILE), { readonly: true });
  const n = db.prepare('SELECT count(*) FROM "q_otlphttp_full"').pluck().get() as number;
  db.close();
  return n;
}

async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A backlog in the table: enqueued, then closed (which moves the stage into the table), reopened. */
async function backlog(dir: string, n: number): Promise<SqliteQueue> {
  const first = open(dir);
  for (let i = 0; i < n; i++) await first.enqueue({ bytes: new Uint8Array(512).fill(i), items: 1 });
  await first.close();
  queues.splice(queues.indexOf(first), 1);
  return open(dir);
}

describe('full disk', () => {
  it('keeps a spare file, and frees it so acknowledgements go through when the disk is full', async () => {
    const dir = tempDir();
    // Made when the queue opens, while there is room.
    const opened = open(dir);
    expect(statSync(join(dir, SPARE_FILE)).size).toBe(8 * 1024 * 1024);
    await opened.close();
    queues.splice(queues.indexOf(opened), 1);
    const q = await backlog(dir, 5);
    const { disk, reserve } = simulateDisk(q, dir);
    expect(reserve.ensure()).toBe(true);
    expect(statSync(join(dir, SPARE_FILE)).size).toBe(1024 * 1024);

    const taken = [];
    for (let i = 0; i < 5; i++) taken.push((await q.take())!);
    disk.free = 0;
    disk.full = true;
    for (const r of taken) await q.ack(r.id);
    expect(disk.refusedWrites).toBeGreaterThan(0);
    expect(existsSync(join(dir, SPARE_FILE))).toBe(false);
    expect(q.size()).toBe(0);
    expect(rows(dir)).toBe(0);
  });

  it('parks deletes it cannot make, keeps the gauge true, and deletes them once space is back, without a restart', async () => {
    const dir = tempDir();
    const q = await backlog(dir, 6);
    const { disk } = simulateDisk(q, dir);
    disk.free = 0;
    disk.full = true; // and no spare to free: it was never made
    const taken = [];
    for (let i = 0; i < 6; i++) taken.push((await q.take())!);
    for (const r of taken) await q.ack(r.id);
    // Delivered: out of the gauge at once, though the rows are still stored.
    expect(q.size()).toBe(0);
    expect(rows(dir)).toBe(6);
    // Space comes back: the parked deletes go in one write, and the spare is made again.
    disk.full = false;
    disk.free = 64 * 1024 * 1024;
    await until(() => rows(dir) === 0, 'parked deletes done');
    await until(() => existsSync(join(dir, SPARE_FILE)), 'spare made again');
    // And the queue takes new requests and delivers them as before.
    await q.enqueue({ bytes: new Uint8Array([42]), items: 1 });
    const r = (await q.take())!;
    expect(r.bytes[0]).toBe(42);
    await q.ack(r.id);
    expect(q.size()).toBe(0);
  });

  it('waits with moving the backlog into SQLite while free space is short, and moves it once there is room', async () => {
    const dir = tempDir();
    const q = open(dir);
    const { disk } = simulateDisk(q, dir);
    disk.free = MARGIN_BYTES; // below what a move needs on top of the margin
    for (let i = 0; i < 4; i++) await q.enqueue({ bytes: new Uint8Array(4096).fill(i), items: 1 });
    // Older than the stage's 2 s: normally in the table by now.
    await new Promise((r) => setTimeout(r, 3_500));
    expect(rows(dir)).toBe(0);
    expect(q.size()).toBe(4);
    disk.free = 64 * 1024 * 1024;
    await until(() => rows(dir) === 4, 'backlog moved into the table');
    for (let i = 0; i < 4; i++) {
      const r = (await q.take())!;
      expect(r.bytes[0]).toBe(i);
      await q.ack(r.id);
    }
    expect(q.size()).toBe(0);
  });
});
