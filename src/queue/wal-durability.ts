import { closeSync, fsyncSync, openSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { StageLog } from './stage-log.js';
import { WalSyncer } from './wal-syncer.js';

type SyncWaiter = { resolve: () => void; reject: (err: unknown) => void };

/**
 * The durability paths of the queue database (docs/architecture.md §8): with fsync on, a durable
 * write resolves only once the WAL file and the stage log segments it wrote are fsync'd. Normally
 * on a thread of its own (wal-syncer.ts), so the event loop never blocks on an fsync (4-10 ms per
 * commit measured here; BENCHMARKS.md); on libuv's thread pool in the `queue` command, or when
 * that thread dies; synchronously only at open (after a stage fold) and at close. Commits made
 * while an fsync runs share the next one.
 */
export class WalDurability {
  private waiters: SyncWaiter[] = [];
  private syncing = false;
  private walEntrySynced = false;
  private walHandle?: FileHandle;
  private syncer?: WalSyncer;
  /** Thread-pool path: a durable SQLite write is waiting for the WAL's fsync. */
  private walDirty = false;
  /** Thread-pool path: stage segment files whose directory entry is synced. */
  private readonly segmentEntriesSynced = new Set<string>();
  private closed = false;

  constructor(
    private readonly path: string,
    private readonly stageLog: () => StageLog | undefined,
  ) {}

  /** Move the fsyncs to a thread of their own (the gateway; not the short-lived `queue` command). */
  startThread(onError: (message: string) => void): void {
    if (this.syncer) return;
    const toThreadPool = (message: string, waiters: SyncWaiter[]) => {
      this.syncer = undefined;
      onError(`${message}; WAL fsyncs are back on the thread pool`);
      // What the thread had not confirmed may be in any of the files.
      this.walDirty = true;
      this.stageLog()?.markAllDirty();
      this.waiters.push(...waiters);
      if (!this.syncing && this.waiters.length > 0) void this.syncWal();
    };
    try {
      this.syncer = new WalSyncer(`${this.path}-wal`, dirname(this.path), toThreadPool);
    } catch (err) {
      // No thread to be had (resource limits): durability is the same on the thread pool.
      toThreadPool(`cannot start the WAL fsync thread: ${(err as Error).message}`, []);
    }
  }

  /** After a commit with durable writes: the fsync thread's promise, or undefined (thread-pool path). */
  syncedByThread(): Promise<void> | undefined {
    return this.syncer?.alive ? this.syncer.sync() : undefined;
  }

  /** Thread-pool path: resolve `waiter` after the next fsync of the WAL (and dirty stage segments). */
  afterWalSync(waiter: SyncWaiter): void {
    this.walDirty = true;
    this.afterNextSync(waiter);
  }

  /** Stage segments `slots` were appended to: resolve `waiter` once they are on disk. */
  afterStageSync(slots: number[], waiter: SyncWaiter): void {
    if (this.syncer?.alive) {
      this.syncer.sync(slots).then(waiter.resolve, waiter.reject);
      return;
    }
    this.afterNextSync(waiter);
  }

  /** A stage segment file was created again: its handle and directory entry are new. */
  segmentReopened(slot: number, path: string): void {
    this.syncer?.reopened(slot);
    this.segmentEntriesSynced.delete(path);
  }

  /** Stage segments were deleted: a round of the fsync thread lets go of them, freeing their space. */
  segmentsDeleted(slots: number[]): void {
    for (const slot of slots) this.syncer?.reopened(slot);
    this.syncer?.sync([]).catch(() => {});
  }

  private afterNextSync(waiter: SyncWaiter): void {
    this.waiters.push(waiter);
    if (!this.syncing) void this.syncWal();
  }

  /** fsync the WAL for everything committed so far; commits made meanwhile wait for the next one. */
  private async syncWal(): Promise<void> {
    this.syncing = true;
    const waiters = this.waiters;
    this.waiters = [];
    let error: unknown;
    try {
      const segments = this.stageLog()?.takeDirty() ?? [];
      const wal = this.walDirty;
      this.walDirty = false;
      await Promise.all([wal ? this.syncWalFile() : undefined, ...segments.map((path) => this.syncSegment(path))]);
    } catch (err) {
      // Closing checkpoints and syncs everything itself (then the WAL may be gone): not a failure.
      if (!this.closed) error = err;
    }
    this.syncing = false;
    if (this.closed) this.closeWalHandle();
    for (const w of waiters) {
      if (error) w.reject(error);
      else w.resolve();
    }
    if (this.waiters.length > 0) void this.syncWal();
  }

  private async syncWalFile(): Promise<void> {
    // Kept open: an open/close per fsync costs two more thread-pool round trips per commit.
    this.walHandle ??= await open(`${this.path}-wal`, 'r');
    await this.walHandle.sync();
    if (!this.walEntrySynced) {
      // Once: the WAL file's directory entry, so the synced file itself survives a power cut.
      await syncFile(dirname(this.path));
      this.walEntrySynced = true;
    }
  }

  /** A stage segment, the thread-pool way (the fsync thread is gone); its directory entry once. */
  private async syncSegment(path: string): Promise<void> {
    await syncFile(path);
    if (this.segmentEntriesSynced.has(path)) return;
    await syncFile(dirname(path));
    this.segmentEntriesSynced.add(path);
  }

  /** The database is closing: a failed fsync from now on is not an error (close syncs everything). */
  closing(): void {
    this.closed = true;
  }

  /**
   * At close, after the last commit: stop the thread, and fsync synchronously what any waiter still
   * waits for. Returns how to settle those waiters, to be called once the database is closed.
   */
  async stop(fsync: boolean): Promise<() => void> {
    // What the fsync thread had not confirmed yet is synced below, with everything else.
    if (this.syncer) this.waiters.push(...(await this.syncer.stop()));
    this.syncer = undefined;
    const error = fsync && (this.syncing || this.waiters.length > 0) ? this.syncNow() : undefined;
    // An fsync in flight still uses the handle: it closes it when done.
    if (!this.syncing) this.closeWalHandle();
    return () => {
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) {
        if (error) w.reject(error);
        else w.resolve();
      }
    };
  }

  /** A synchronous fsync of the stage and the WAL (open after a fold, and close). */
  syncNow(): Error | undefined {
    try {
      this.stageLog()?.syncAllNow();
    } catch (err) {
      return err as Error;
    }
    try {
      const fd = openSync(`${this.path}-wal`, 'r');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    } catch (err) {
      // No WAL file: nothing was written since the last checkpoint.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return err as Error;
    }
    return undefined;
  }

  private closeWalHandle(): void {
    const handle = this.walHandle;
    this.walHandle = undefined;
    handle?.close().catch(() => {});
  }
}

/** The thread-pool way (the fsync thread is gone): rare enough that an open per fsync is fine. */
async function syncFile(path: string): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    // Deleted meanwhile (the stage was trimmed): nothing in it was waiting for this fsync.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
