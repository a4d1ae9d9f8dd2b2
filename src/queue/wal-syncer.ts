import type { Worker } from 'node:worker_threads';
import { spawnQueueWorker } from './spawn-worker.js';
import { CELLS, DIRTY, EPOCH, REQUESTED, SLEEPING, STOP, type WalSyncInit, type WalSyncReply } from './wal-sync-cells.js';

/**
 * fsync threads: with two, the commits made while one fsync is in flight start their own at once
 * instead of waiting for it to return (wal-sync-worker.ts). Measured on this machine's disk while
 * other work loaded it: one thread fsyncing back to back did 365-4763 fsyncs/s, two did
 * 2937-10272 (BENCHMARKS.md, issue 23): the disk takes overlapping flushes.
 */
export const SYNC_THREADS = 2;

/**
 * Makes WAL commits and stage log writes (stage-log.ts) durable from threads of their own
 * (wal-sync-worker.ts, SYNC_THREADS of them) instead of libuv's pool.
 * With the pool, the next fsync could only start once the event loop had run the previous one's
 * callback; under load that wait was 1.5-3 ms on top of a 0.5 ms fsync (BENCHMARKS.md, session 3),
 * and every acknowledgement paid it. Here the event loop only bumps a shared counter after each
 * commit; the threads fsync back to back, overlapping, and report how far each fsync covered. A
 * report covers every commit up to it, whichever thread's round was older, so acknowledgements go
 * out in commit order. Acknowledgements still wait for the event loop, once.
 *
 * Commit numbers are Int32 and wrap (after 2^32 commits: some 50 days at 1000 commits/s); every
 * comparison is wrap-safe, which holds while fewer than 2^31 commits wait at once.
 */
export class WalSyncer {
  private readonly cells = new Int32Array(new SharedArrayBuffer(CELLS * Int32Array.BYTES_PER_ELEMENT));
  private requested = 0;
  private readonly waiters: { seq: number; resolve: () => void; reject: (err: unknown) => void }[] = [];
  /** The first thread (tests reach it by this name), then the others. */
  private worker?: Worker;
  private others: Worker[] = [];
  private stopped = false;

  constructor(
    walPath: string,
    /** Where the stage log's segment files are (stage-log.ts). */
    stageDirectory: string,
    /** The thread is gone: every waiter was handed back through `onFail`, and this syncer is done. */
    private readonly onFail: (message: string, waiters: { resolve: () => void; reject: (err: unknown) => void }[]) => void,
  ) {
    const threads: Worker[] = [];
    try {
      for (let i = 0; i < SYNC_THREADS; i++) threads.push(spawnQueueWorker('wal-sync-worker', { path: walPath, stageDirectory, cells: this.cells.buffer as SharedArrayBuffer } satisfies WalSyncInit));
    } catch (err) {
      for (const t of threads) void t.terminate();
      throw err;
    }
    for (const thread of threads) {
      thread.unref();
      thread.on('message', (reply: WalSyncReply) => this.settle(reply));
      thread.on('error', (err) => this.fail(err.message));
      thread.on('exit', (code) => this.fail(`WAL fsync thread exited with code ${code}`));
    }
    [this.worker, ...this.others] = threads;
  }

  get alive(): boolean {
    return this.worker !== undefined;
  }

  /**
   * What was just written to these file slots (0 the WAL, 1.. stage segments) must reach the disk;
   * resolves (or rejects) once it, and everything requested before, did (failed).
   */
  sync(slots: readonly number[] = [0]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (!this.worker) return reject(new Error('WAL fsync thread stopped'));
      const seq = (this.requested = (this.requested + 1) | 0);
      for (const slot of slots) Atomics.store(this.cells, DIRTY + slot, seq);
      this.waiters.push({ seq, resolve, reject });
      // One store per group commit. A thread mid-fsync reads the counter again before it sleeps,
      // so only a sleeping one needs the wake-up (a futex call: 1.6 % of the event loop when made
      // for every commit), and one is enough: the round is claimed by one thread. Both sides use
      // sequentially consistent atomics: if this load misses a thread's SLEEPING add, its wait
      // sees the new counter and does not sleep.
      Atomics.store(this.cells, REQUESTED, seq);
      if (Atomics.load(this.cells, SLEEPING) !== 0) Atomics.notify(this.cells, REQUESTED, 1);
    });
  }

  /** The file at `slot` was deleted or created anew: the thread lets go of its old descriptor. */
  reopened(slot: number): void {
    Atomics.add(this.cells, EPOCH + slot, 1);
  }

  /** True while commits wait for an fsync. */
  get pending(): boolean {
    return this.waiters.length > 0;
  }

  /**
   * Stop the thread after its current fsync. Waiters not yet settled are handed back (returned)
   * for the caller to settle with a synchronous fsync of its own.
   */
  async stop(): Promise<{ resolve: () => void; reject: (err: unknown) => void }[]> {
    const threads = this.worker ? [this.worker, ...this.others] : [];
    this.worker = undefined;
    this.others = [];
    this.stopped = true;
    if (threads.length > 0) {
      const exited = threads.map((thread) => {
        thread.removeAllListeners('error');
        thread.removeAllListeners('exit');
        return new Promise<void>((resolve) => thread.once('exit', () => resolve()));
      });
      Atomics.store(this.cells, STOP, 1);
      // Wake them even when they sleep on an unchanged counter.
      Atomics.store(this.cells, REQUESTED, (this.requested + 1) | 0);
      Atomics.notify(this.cells, REQUESTED);
      await Promise.all(exited);
    }
    return this.waiters.splice(0);
  }

  private settle(reply: WalSyncReply): void {
    let n = 0;
    while (n < this.waiters.length && ((reply.upTo - this.waiters[n]!.seq) | 0) >= 0) n++;
    if (n === 0) return;
    const done = this.waiters.splice(0, n);
    const error = reply.error === undefined ? undefined : new Error(`fsync of the queue's files failed: ${reply.error}`);
    for (const w of done) {
      if (error) w.reject(error);
      else w.resolve();
    }
  }

  /** One thread is gone: the others stop too, and the thread pool takes over (wal-durability.ts). */
  private fail(message: string): void {
    if (this.stopped) return;
    this.stopped = true;
    const threads = this.worker ? [this.worker, ...this.others] : [];
    this.worker = undefined;
    this.others = [];
    for (const thread of threads) {
      thread.removeAllListeners('exit');
      thread.removeAllListeners('error');
      thread.on('error', () => {});
      void thread.terminate();
    }
    this.onFail(message, this.waiters.splice(0));
  }
}
