import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

/** When no thread can be started for the WAL fsyncs, the queue still opens and stays durable. */
vi.mock('../../src/queue/spawn-worker.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/queue/spawn-worker.js')>();
  return {
    spawnQueueWorker: (name: string, data: unknown) => {
      if (name === 'wal-sync-worker') throw new Error('test: Resource temporarily unavailable');
      return real.spawnQueueWorker(name, data);
    },
  };
});

const { SqliteQueue } = await import('../../src/queue/sqlite-queue.js');

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('persistent queue without its fsync thread', () => {
  it('opens, warns, and confirms enqueues with thread-pool fsyncs', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'wal-syncer-start-'));
    dirs.push(directory);
    const warnings: string[] = [];
    const logger = { debug() {}, info() {}, warn: (m: string) => warnings.push(m), error() {}, child: () => logger };
    const q = SqliteQueue.open({ directory, fsync: true, exporterId: 'x', sizer: 'requests', capacity: 10, overflow: 'refuse', logger: logger as never });
    expect(warnings).toEqual([expect.stringMatching(/cannot start the WAL fsync thread: test: Resource temporarily unavailable; WAL fsyncs are back on the thread pool/)]);
    await Promise.all([1, 2, 3].map((i) => q.enqueue({ bytes: new Uint8Array([i]), items: 1 })));
    expect(q.size()).toBe(3);
    await q.close();
  });
});
