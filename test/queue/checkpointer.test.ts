import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { Checkpointer } from '../../src/queue/checkpointer.js';
import { QUEUE_DB_FILE, QueueDatabase } from '../../src/queue/database.js';
import { SqliteQueue } from '../../src/queue/sqlite-queue.js';

/**
 * WAL checkpoints run on their own thread (checkpointer.ts), so the gateway's connection has
 * auto-checkpoint off: the WAL must still stay bounded, and must return to auto-checkpoint if the
 * thread dies.
 */

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'checkpointer-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const walBytes = (dir: string) => (existsSync(join(dir, `${QUEUE_DB_FILE}-wal`)) ? statSync(join(dir, `${QUEUE_DB_FILE}-wal`)).size : 0);
const until = async (cond: () => boolean, what: string) => {
  for (let i = 0; i < 1000; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
};

describe('WAL checkpoints on their own thread', () => {
  it('keeps the WAL bounded while far more than its size is written and acknowledged', async () => {
    const dir = tempDir();
    const q = SqliteQueue.open({ directory: dir, fsync: false, exporterId: 'x', sizer: 'requests', capacity: 100_000, overflow: 'refuse' });
    cleanup.push(() => q.close());
    const payload = new Uint8Array(64 * 1024).fill(7);
    const waves = 96;
    let maxWal = 0;
    // 192 MiB through the queue, written and acked in waves, without the drain that would trigger
    // the reclaim-on-empty checkpoint: one request always stays queued.
    await q.enqueue({ bytes: payload, items: 1 });
    const first = await q.take();
    for (let wave = 0; wave < waves; wave++) {
      await Promise.all(Array.from({ length: 32 }, () => q.enqueue({ bytes: payload, items: 1 })));
      for (let i = 0; i < 32; i++) {
        const r = await q.take();
        await q.ack(r!.id);
      }
      maxWal = Math.max(maxWal, walBytes(dir));
      await new Promise((r) => setTimeout(r, 2));
    }
    expect(q.size()).toBe(1);
    expect(maxWal).toBeGreaterThan(0);
    // 32 MiB between restarts (database.ts), plus a wave of writes and page overhead.
    expect(maxWal).toBeLessThan(40 * 1024 * 1024);
    // Once writes pause, a checkpoint completes and the next commit restarts the WAL, cut back to
    // journal_size_limit (64 MiB).
    await new Promise((r) => setTimeout(r, 300));
    await q.enqueue({ bytes: payload, items: 1 });
    expect(walBytes(dir)).toBeLessThanOrEqual(64 * 1024 * 1024);
    await q.ack(first!.id);
  });

  it('logs and goes back to SQLite auto-checkpoint when its thread dies', async () => {
    const dir = tempDir();
    const database = QueueDatabase.open(dir, { fsync: false });
    const errors: string[] = [];
    const checkpointer = new Checkpointer({ db: database.db, path: database.path, pragmas: [], maxWalBytes: 32 * 1024 * 1024, onResume: () => {}, onError: (m) => errors.push(m) });
    cleanup.push(async () => {
      await checkpointer.close();
      await database.close();
    });
    expect(database.db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    await (checkpointer as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    await until(() => errors.length > 0, 'the error');
    expect(errors[0]).toMatch(/checkpointer thread exited with code \d+; WAL checkpoints are back on the event loop \(SQLite auto-checkpoint\)/);
    expect(database.db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
  });

  it('closes with every committed row kept and the WAL folded into the database', async () => {
    const dir = tempDir();
    const q = SqliteQueue.open({ directory: dir, fsync: true, exporterId: 'x', sizer: 'requests', capacity: 1000, overflow: 'refuse' });
    await Promise.all(Array.from({ length: 20 }, (_, i) => q.enqueue({ bytes: new Uint8Array([i]), items: 1 })));
    await q.close();
    expect(walBytes(dir)).toBe(0);
    const raw = new Database(join(dir, QUEUE_DB_FILE), { readonly: true });
    cleanup.push(() => void raw.close());
    expect(raw.prepare('SELECT count(*) FROM q_x').pluck().get()).toBe(20);
  });
});
