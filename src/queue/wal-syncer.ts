import type { Worker } from 'node:worker_threads';
import { spawnQueueWorker } from './spawn-worker.js';
import { CELLS, DIRTY, EPOCH, REQUESTED, SLEEPING, STOP, type WalSyncInit, type WalSyncReply } from './wal-sync-cells.js';

/**
 * Makes WAL commits and stage log writes (stage-log.ts) durable from a thread of its own (wal-sync-worker.ts) instead of libuv's pool.
 * With the pool, the next fsync could only start once the event loop had run the previous one's
 * callback; under load that wait was 1.5-3 ms on top of a 0.5 ms fsync (BENCHMARKS.md, session 3),
 * and every acknowledgement paid it. Here the event loop only bumps a shared counter after each
 * commit; the thread fsyncs back to back and reports how far each fsync covered. Acknowledgements
 * still wait for the event loop, once.
 *
 * Commit numbers are Int32 and wrap (after 2^32 commits: some 50 days at 1000 commits/s); every
 * comparison is wrap-safe, which holds while fewer than 2^31 commits wait at once.
 */
export class WalSyncer {
  private readonly cells = new Int32Array(new SharedArrayBuffer(CELLS * Int32Array.BYTES_PER_ELEMENT));
  private requested = 0;
  private readonly waiters: { seq: number; resolve: () => void; reject: (err: unknown) => void }[] = [];
  private worker?: Worker;
  private stopped = false;

  constructor(
    walPath: string,
    /** Where the stage log's segment files are (stage-log.ts). */
    stageDirectory: string,
    /** The thread is gone: every waiter was handed back through `onFail`, and this syncer is done. */
    private readonly onFail: (message: string, waiters: { resolve: () => void; reject: (err: unknown) => void }[]) => void,
  ) {
    this.worker = spawnQueueWorker('wal-sync-worker', { path: walPath, stageDirectory, cells: this.cells.buffer as SharedArrayBuffer } satisfies WalSyncInit);
    this.worker.unref();
    this.worker.on('message', (reply: WalSyncReply) => this.settle(reply));
    this.worker.on('error', (err) => this.fail(err.message));
    this.worker.on('exit', (code) => this.fail(`WAL fsync thread exited with code ${code}`));
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
      // for every commit). Both sides use sequentially consistent atomics: if this load misses the
      // thread's SLEEPING store, its wait sees the new counter and does not sleep.
      Atomics.store(this.cells, REQUESTED, seq);
      if (Atomics.load(this.cells, SLEEPING) !== 0) Atomics.notify(this.cells, REQUESTED);
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
    const worker = this.worker;
    this.worker = undefined;
    this.stopped = true;
    if (worker) {
      worker.removeAllListeners('error');
      worker.removeAllListeners('exit');
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      Atomics.store(this.cells, STOP, 1);
      // Wake it even when it sleeps on an unchanged counter.
      Atomics.store(this.cells, REQUESTED, (this.requested + 1) | 0);
      Atomics.notify(this.cells, REQUESTED);
      await exited;
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

  private fail(message: string): void {
    if (this.stopped) return;
    this.stopped = true;
    this.worker = undefined;
    this.onFail(message, this.waiters.splice(0));
  }
}
