import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteQueue } from '../../src/queue/sqlite-queue.js';
import { WalSyncer } from '../../src/queue/wal-syncer.js';

/**
 * The queue's fsync thread (wal-syncer.ts): the event loop bumps a shared counter after each group
 * commit and the thread fsyncs the WAL back to back. Runs the real thread on real files.
 */

const dirs: string[] = [];
const syncers: WalSyncer[] = [];
afterEach(async () => {
  for (const s of syncers.splice(0)) await s.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wal-syncer-'));
  dirs.push(dir);
  return dir;
}

function syncerFor(path: string, failures: string[] = []): WalSyncer {
  const syncer = new WalSyncer(path, dirname(path), (message) => failures.push(message));
  syncers.push(syncer);
  return syncer;
}

const threadOf = (syncer: WalSyncer) => (syncer as unknown as { worker: Worker }).worker;

describe('WAL fsync thread', () => {
  it('confirms every commit, however many arrive while an fsync runs', async () => {
    const path = join(tempDir(), 'q.db-wal');
    writeFileSync(path, 'frames');
    const syncer = syncerFor(path);
    const order: number[] = [];
    const all = Array.from({ length: 500 }, (_, i) => syncer.sync().then(() => order.push(i)));
    await Promise.all(all);
    // Confirmed in commit order: an ack never overtakes an earlier commit.
    expect(order).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(syncer.pending).toBe(false);
  });

  it('keeps confirming in order when the commit counter wraps past 2^31', async () => {
    const path = join(tempDir(), 'q.db-wal');
    writeFileSync(path, 'frames');
    const syncer = syncerFor(path);
    (syncer as unknown as { requested: number }).requested = 0x7fffffff - 20;
    const order: number[] = [];
    await Promise.all(Array.from({ length: 60 }, (_, i) => syncer.sync().then(() => order.push(i))));
    expect(order).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect(syncer.pending).toBe(false);
  });

  it('fails the commits it covered when the fsync fails, with the reason', async () => {
    const syncer = syncerFor(join(tempDir(), 'missing-wal'));
    await expect(syncer.sync()).rejects.toThrow(/fsync of the queue's files failed: ENOENT/);
    // The thread lives on: a later commit is tried again.
    await expect(syncer.sync()).rejects.toThrow(/ENOENT/);
    expect(syncer.alive).toBe(true);
  });

  it('hands its waiting commits back when the thread dies', async () => {
    const path = join(tempDir(), 'q.db-wal');
    writeFileSync(path, 'frames');
    const failures: string[] = [];
    let handedBack = -1;
    const syncer = new WalSyncer(path, dirname(path), (message, waiters) => {
      failures.push(message);
      handedBack = waiters.length;
      for (const w of waiters) w.resolve();
    });
    syncers.push(syncer);
    await syncer.sync();
    await threadOf(syncer).terminate();
    await new Promise((r) => setTimeout(r, 20));
    expect(failures).toEqual([expect.stringMatching(/WAL fsync thread exited/)]);
    expect(handedBack).toBe(0);
    expect(syncer.alive).toBe(false);
    await expect(syncer.sync()).rejects.toThrow(/stopped/);
  });

  it('stop returns the commits it did not confirm, for a last fsync by the caller', async () => {
    const path = join(tempDir(), 'q.db-wal');
    writeFileSync(path, 'frames');
    const syncer = syncerFor(path);
    await syncer.sync();
    const settled = Promise.allSettled([syncer.sync(), syncer.sync()]);
    const left = await syncer.stop();
    for (const w of left) w.resolve();
    expect((await settled).every((r) => r.status === 'fulfilled')).toBe(true);
    expect(syncer.alive).toBe(false);
  });
});

describe('persistent queue with its fsync thread', () => {
  it('keeps storing and confirming enqueues after the thread dies (thread-pool fsync takes over)', async () => {
    const directory = tempDir();
    const warnings: string[] = [];
    const logger = { debug() {}, info() {}, warn: (m: string) => warnings.push(m), error() {}, child() { return logger; } };
    const q = SqliteQueue.open({ directory, fsync: true, exporterId: 'x', sizer: 'requests', capacity: 100, overflow: 'refuse', logger: logger as never });
    await q.enqueue({ bytes: new Uint8Array([1]), items: 1 });
    const database = (q as unknown as { database: { durability: { syncer?: WalSyncer } } }).database.durability;
    expect(database.syncer?.alive).toBe(true);
    await threadOf(database.syncer!).terminate();
    await new Promise((r) => setTimeout(r, 20));
    expect(warnings.some((w) => /WAL fsync thread exited.*back on the thread pool/.test(w))).toBe(true);
    await Promise.all(Array.from({ length: 20 }, (_, i) => q.enqueue({ bytes: new Uint8Array([i]), items: 1 })));
    expect(q.size()).toBe(21);
    await q.close();
    const reopened = SqliteQueue.open({ directory, fsync: true, exporterId: 'x', sizer: 'requests', capacity: 100, overflow: 'refuse' });
    expect(reopened.size()).toBe(21);
    await reopened.close();
  });
});
