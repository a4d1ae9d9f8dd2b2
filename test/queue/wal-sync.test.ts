import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

/**
 * With fsync on, the queue fsyncs the WAL itself off the event loop (database.ts). What a receiver
 * acknowledges must be on disk: an enqueue resolves only after that fsync returned, and fails when
 * it fails. Acks need no fsync (a lost delete only redelivers). The fsync is held by a stub here.
 *
 * This file covers the thread-pool fsync, which the queue uses when its fsync thread is not running
 * (it failed to start or died): the thread is replaced by one that never comes up. The thread
 * itself is covered in wal-syncer.test.ts.
 */
const gate = vi.hoisted(() => ({ pending: [] as { file: string; release: (err?: Error) => void }[] }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...real,
    open: async (path: string, flags: string) => {
      const handle = await real.open(path, flags);
      return {
        sync: () => new Promise<void>((resolve, reject) => gate.pending.push({ file: path, release: (err) => (err ? reject(err) : resolve()) })),
        close: () => handle.close(),
      };
    },
  };
});

vi.mock('../../src/queue/wal-syncer.js', () => ({
  WalSyncer: class {
    constructor(_path: string, _stageDirectory: string, onFail: (message: string, waiters: unknown[]) => void) {
      queueMicrotask(() => onFail('test: no fsync thread', []));
    }
    get alive() {
      return false;
    }
    reopened() {}
    async stop() {
      return [];
    }
  },
}));

const { SqliteQueue } = await import('../../src/queue/sqlite-queue.js');

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  gate.pending.length = 0;
});

function openQueue(fsync: boolean) {
  const directory = mkdtempSync(join(tmpdir(), 'wal-sync-'));
  dirs.push(directory);
  return SqliteQueue.open({ directory, fsync, exporterId: 'x', sizer: 'requests', capacity: 10, overflow: 'refuse' });
}

const tick = () => new Promise((r) => setTimeout(r, 20));
/** Until some fsync waits (opening the file takes a thread-pool round trip first). */
async function untilPending() {
  for (let i = 0; i < 100 && gate.pending.length === 0; i++) await tick();
}
/** A queue's close moves what it staged into the table, which waits for an fsync too. */
async function closeQueue(q: { close(): Promise<void> }) {
  await Promise.all([q.close(), releaseAll()]);
}
/**
 * Enqueue `bytes` on a queue with fsync on, and check it is confirmed only once the fsyncs it waits
 * for returned; returns the files those fsyncs were for.
 */
async function confirmedOnlyAfterFsync(bytes: Uint8Array): Promise<string[]> {
  const q = openQueue(true);
  let confirmed = false;
  const enqueued = q.enqueue({ bytes, items: 1 }).then(() => (confirmed = true));
  await untilPending();
  const files = gate.pending.map((p) => p.file);
  expect(confirmed).toBe(false);
  await releaseAll();
  await enqueued;
  expect(confirmed).toBe(true);
  await closeQueue(q);
  return files;
}
/** Lets every fsync waiting now (and any it leads to) return. */
async function releaseAll(err?: Error) {
  for (let i = 0; i < 10; i++) {
    await tick();
    for (const p of gate.pending.splice(0)) p.release(err);
  }
}

describe('persistent queue durability with fsync on', () => {
  it('confirms an enqueue only after the stage log segment it went to was fsynced', async () => {
    const files = await confirmedOnlyAfterFsync(new Uint8Array([1, 2, 3]));
    expect(files.filter((f) => f.endsWith('.seg'))).toHaveLength(1);
  });

  it('confirms a request too big for the stage log only after the write-ahead log was fsynced', async () => {
    // Bigger than a whole stage segment (4 MiB): only such a request goes to SQLite directly.
    const files = await confirmedOnlyAfterFsync(new Uint8Array(5 * 1024 * 1024));
    expect(files.map((f) => f.endsWith('-wal'))).toEqual([true]);
  });

  it('refuses the enqueue (so the client retries) when the fsync fails', async () => {
    const q = openQueue(true);
    const outcome = q.enqueue({ bytes: new Uint8Array([1]), items: 1 }).then(() => 'confirmed', (err: Error) => err.message);
    await releaseAll(new Error('EIO: i/o error'));
    expect(await outcome).toMatch(/could not store the request: EIO/);
    await closeQueue(q);
  });

  it('acknowledges a delivered request without waiting for an fsync', async () => {
    const q = openQueue(true);
    const enqueued = q.enqueue({ bytes: new Uint8Array([1]), items: 1 });
    await releaseAll();
    await enqueued;
    const item = await q.take();
    await q.ack(item!.id);
    expect(gate.pending).toHaveLength(0);
    expect(q.size()).toBe(0);
    await closeQueue(q);
  });

  it('never fsyncs when fsync is off', async () => {
    const q = openQueue(false);
    await q.enqueue({ bytes: new Uint8Array([1]), items: 1 });
    expect(gate.pending).toHaveLength(0);
    await closeQueue(q);
  });
});
