import { closeSync, fsyncSync, mkdirSync, openSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { GatewayError } from '../errors.js';
import { Checkpointer } from './checkpointer.js';
import { acquireOwnerLock } from './owner-lock.js';
import type { StageRecord } from './stage-format.js';
import { DiskReserve, isDiskFull } from './disk-reserve.js';
import { isCorruption, moveAside, salvageInto, type SalvageResult } from './salvage.js';
import { foldStage, type StageDamage } from './stage-fold.js';
import { removeStage, StageLog, STAGE_SPILL_BYTES, type StageSlot } from './stage-log.js';
import { WalSyncer } from './wal-syncer.js';
import { syncDirectory } from './sync-directory.js';
import { connectionPragmas, exporterIdsOf, migrate, queueTableOf, QUEUE_DB_FILE, startError } from './schema.js';

export { QUEUE_DB_FILE } from './schema.js';

/** What a write without a payload (an ack, an attempt count) adds to the WAL, about: a page or two. */
const WRITE_OVERHEAD_BYTES = 8 * 1024;
/** Written since the WAL last restarted, commits wait for the checkpoint that restarts it (checkpointer.ts). */
const MAX_WAL_BYTES = 32 * 1024 * 1024;
/** A drained queue's TRUNCATE checkpoint, when the checkpointer thread is busy: tries, and the wait between. */
const RECLAIM_ATTEMPTS = 20;
const RECLAIM_RETRY_MS = 25;
/** How long the stage log must stay idle before it is cut back to its idle segments (stage-log.ts). */
const STAGE_TRIM_DELAY_MS = 1_000;

interface PendingWrite {
  run: () => unknown;
  /** Must reach the disk before it resolves (fsync when fsync is on); see `write`. */
  durable: boolean;
  /** About how many bytes it writes (WAL accounting for the checkpointer). */
  bytes: number;
  resolve: (value: any) => void;
  reject: (err: unknown) => void;
}

interface PendingStage {
  record: StageRecord;
  resolve: (at: StageSlot) => void;
  reject: (err: unknown) => void;
}

export class QueueDatabase {
  private writes: PendingWrite[] = [];
  private syncWaiters: { resolve: () => void; reject: (err: unknown) => void }[] = [];
  private syncing = false;
  private walEntrySynced = false;
  private walHandle?: FileHandle;
  private flushScheduled = false;
  private closed = false;
  private checkpointer?: Checkpointer;
  private syncer?: WalSyncer;
  private readonly resumeWaiters: (() => void)[] = [];
  private stageLog?: StageLog;
  private stageTrimTimer?: NodeJS.Timeout;
  private onStageError?: (message: string) => void;
  /** Thread-pool fsync path: a durable SQLite write is waiting for the WAL's fsync. */
  private walDirty = false;
  /** Thread-pool fsync path: stage segment files whose directory entry is synced. */
  private readonly segmentEntriesSynced = new Set<string>();
  private stageWrites: PendingStage[] = [];
  /** Per exporter: records of a crashed run's stage that failed their checksum at open. */
  private readonly corruptAtOpen = new Map<string, number>();
  private damageAtOpen: StageDamage[] = [];
  /** Space kept back for acks on a full disk (disk-reserve.ts); the gateway's connection only. */
  reserve?: DiskReserve;
  /** Lets go of the directory's owner lock (openOwnedDatabase); called once the file is closed. */
  releaseLock?: () => void;
  private damageTaken = false;

  private constructor(
    readonly db: Database.Database,
    readonly path: string,
    private readonly fsync: boolean,
  ) {}

  /**
   * Open (creating when allowed) and migrate; any failure becomes one clear start error naming the
   * file. With `salvage` (the gateway, owner of the directory), a file SQLite finds damaged is moved
   * aside and what can be read of it copied into a fresh one (salvage.ts) instead.
   */
  static open(
    directory: string,
    options: { fsync: boolean; create?: boolean; busyTimeoutMs?: number; foldStage?: boolean; salvage?: boolean; onWarn?: (message: string) => void },
  ): QueueDatabase {
    const path = join(directory, QUEUE_DB_FILE);
    try {
      return QueueDatabase.openAt(path, options);
    } catch (err) {
      if (!options.salvage || !isCorruption(err)) throw startError(path, err);
    }
    let salvaged: SalvageResult;
    let movedTo: string;
    try {
      movedTo = moveAside(path);
    } catch (err) {
      throw startError(path, err);
    }
    options.onWarn?.(`queue database ${path} is damaged; moved aside to ${movedTo}, salvaging what can be read (QUEUE_CORRUPT_RECORD)`);
    const database = QueueDatabase.openAt(path, { ...options, foldStage: false });
    try {
      salvaged = salvageInto(movedTo, database.db, (exporterId) => database.queueTable(exporterId)!);
    } catch (err) {
      salvaged = { movedTo, requests: new Map(), deadLetters: 0, unreadable: [`the whole file (${(err as Error).message})`] };
    }
    database.reportSalvage(salvaged, options.onWarn);
    if (options.foldStage) database.foldStage();
    return database;
  }

  private static openAt(path: string, options: { fsync: boolean; create?: boolean; busyTimeoutMs?: number; foldStage?: boolean }): QueueDatabase {
    let db: Database.Database | undefined;
    try {
      if (options.create !== false) mkdirSync(dirname(path), { recursive: true });
      db = new Database(path, { fileMustExist: options.create === false });
      // auto_vacuum only takes effect before the first table exists; set it first.
      db.pragma('auto_vacuum = INCREMENTAL');
      db.pragma('journal_mode = WAL');
      for (const p of connectionPragmas(options.busyTimeoutMs)) db.pragma(p);
      migrate(db);
      // Read what every queue reads at open (counts, sums): damage there shows now, not later.
      for (const table of ['dead_letter', ...(db.prepare('SELECT table_name FROM queues').pluck().all() as string[])]) {
        db.prepare(`SELECT count(*), sum(items), sum(size_bytes), max(id) FROM "${table}"`).get();
      }
      const database = new QueueDatabase(db, path, options.fsync);
      if (options.foldStage) database.foldStage();
      return database;
    } catch (err) {
      db?.close();
      throw err;
    }
  }

  /** After a salvage: log it, and report what could not be read like damaged stage log bytes. */
  private reportSalvage(result: SalvageResult, onWarn?: (message: string) => void): void {
    const requests = [...result.requests].map(([id, n]) => `${id}=${n}`).join(' ') || 'none';
    onWarn?.(`salvaged from ${result.movedTo}: requests ${requests}, dead letters ${result.deadLetters}; unreadable: ${result.unreadable.join(', ') || 'nothing'}`);
    if (result.unreadable.length === 0) return;
    const exporterId = (this.db.prepare('SELECT exporter_id FROM queues ORDER BY rowid LIMIT 1').pluck().get() as string | undefined) ?? '';
    const now = Date.now();
    const reason = `corrupt queue database ${basename(result.movedTo)}: could not read ${result.unreadable.join(', ')}; the requests stored there are lost`;
    this.db
      .prepare('INSERT INTO dead_letter (exporter_id, payload, items, size_bytes, checksum, attempts, enqueued_at, failed_at, reason) VALUES (?, ?, 0, 0, 0, 0, ?, ?, ?)')
      .run(exporterId, Buffer.alloc(0), now, now, reason);
    this.damageAtOpen.push({ exporterId, file: result.movedTo, requests: result.unreadable.length, reason });
  }

  /**
   * Run `op` inside the next group transaction; resolves with its result once committed. A
   * failing op fails alone: the batch is retried op by op.
   */
  write<T>(op: () => T, options: { durable?: boolean; bytes?: number } = {}): Promise<T> {
    if (this.closed) return Promise.reject(new GatewayError('QUEUE_CLOSED', `queue database ${this.path} is closed`));
    return new Promise<T>((resolve, reject) => {
      this.writes.push({ run: op, durable: options.durable ?? true, bytes: options.bytes ?? WRITE_OVERHEAD_BYTES, resolve, reject });
      this.scheduleFlush();
    });
  }

  /** Whether `stage` takes this request (the gateway's stage log is on and it is small enough). */
  canStage(exporterId: string, payloadBytes: number): boolean {
    return this.stageLog !== undefined && !this.closed && this.stageLog.hasRoom && StageLog.fits(exporterId, payloadBytes);
  }

  /** True when the stage holds more than it should: queues then spill staged requests to SQLite. */
  get stageFull(): boolean {
    return (this.stageLog?.liveBytes ?? 0) > STAGE_SPILL_BYTES;
  }

  /**
   * Write a request to the stage log in the next group commit; resolves once it is durable (fsync
   * on) with where it lives, for `unstage`.
   */
  stage(record: StageRecord): Promise<StageSlot> {
    if (this.closed || !this.stageLog) return Promise.reject(new GatewayError('QUEUE_CLOSED', `queue database ${this.path} is closed`));
    return new Promise<StageSlot>((resolve, reject) => {
      this.stageWrites.push({ record, resolve, reject });
      this.scheduleFlush();
    });
  }

  /** A staged request was handed to a worker (stage-log.ts, markTaken). */
  markTaken(at: StageSlot): void {
    this.stageLog?.markTaken(at);
  }

  /** A staged request is being copied into row `rowId` (stage-log.ts, markSpilled). */
  markSpilled(at: StageSlot, rowId: number): void {
    this.stageLog?.markSpilled(at, rowId);
  }

  /** A staged request was delivered, or is in SQLite durably now: its stage space may be reused. */
  unstage(at: StageSlot): void {
    this.stageLog?.release(at);
  }

  /** Every damage found at open and not taken by a queue yet (the `queue` command prints them). */
  get damageFound(): readonly StageDamage[] {
    return this.damageAtOpen;
  }

  /**
   * Damage the fold found in a crashed run's stage (stage-fold.ts) charged to this exporter, once;
   * the first queue to open also takes what is charged to exporters that have no queue now.
   */
  takeDamageAtOpen(exporterId: string): StageDamage[] {
    const known = new Set(this.exporterIds().filter((id) => id !== exporterId));
    const mine = this.damageAtOpen.filter((d) => d.exporterId === exporterId || (!this.damageTaken && !known.has(d.exporterId)));
    this.damageTaken = true;
    this.damageAtOpen = this.damageAtOpen.filter((d) => !mine.includes(d));
    return mine;
  }

  /** Records of a crashed run's stage that failed their checksum at open, for this exporter (once). */
  takeCorruptAtOpen(exporterId: string): number {
    const n = this.corruptAtOpen.get(exporterId) ?? 0;
    this.corruptAtOpen.delete(exporterId);
    return n;
  }

  /** The stage drained: give its files back once it stayed idle for STAGE_TRIM_DELAY_MS. */
  private scheduleStageTrim(delayMs = STAGE_TRIM_DELAY_MS): void {
    if (this.stageTrimTimer) return;
    this.stageTrimTimer = setTimeout(() => {
      this.stageTrimTimer = undefined;
      if (this.closed || !this.stageLog) return;
      let slots: ReturnType<StageLog['trim']>;
      try {
        slots = this.stageLog.trim(STAGE_TRIM_DELAY_MS);
      } catch (err) {
        // The files stay (and are reused); only their space is not given back yet.
        this.onStageError?.(`could not delete the stage log's files: ${(err as Error).message}`);
        return;
      }
      if (slots === 'wait') return this.scheduleStageTrim(STAGE_TRIM_DELAY_MS / 4);
      if (slots === 'busy' || slots.length === 0) return;
      for (const slot of slots) this.syncer?.reopened(slot);
      // A round of the fsync thread lets go of the deleted files, so their space is free at once.
      this.syncer?.sync([]).catch(() => {});
    }, delayMs);
    this.stageTrimTimer.unref();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  /** Append what waits for the stage log; each resolves once durable. */
  private flushStage(): void {
    const batch = this.stageWrites;
    if (batch.length === 0) return;
    this.stageWrites = [];
    let placed: StageSlot[];
    let slots: number[];
    try {
      ({ placed, slots } = this.stageLog!.append(batch.map((w) => w.record)));
    } catch (err) {
      for (const w of batch) w.reject(err);
      return;
    }
    const settle = (error?: unknown) => {
      // Refused: the client sends it again, so its stage space is free (a copy that reaches the disk
      // anyway is at worst delivered twice).
      if (error !== undefined) for (const at of placed) this.stageLog?.release(at);
      batch.forEach((w, i) => (error === undefined ? w.resolve(placed[i]!) : w.reject(error)));
    };
    if (!this.fsync) return settle();
    if (this.syncer?.alive) {
      this.syncer.sync(slots).then(() => settle(), settle);
      return;
    }
    this.syncWaiters.push({ resolve: () => settle(), reject: settle });
    if (!this.syncing) void this.syncWal();
  }

  /** Commit everything waiting now. */
  flush(): void {
    this.flushScheduled = false;
    this.flushStage();
    // Held while the checkpointer lets the WAL restart (checkpointer.ts); it calls back.
    if (this.checkpointer?.holding) return;
    const batch = this.writes;
    if (batch.length === 0) return;
    this.writes = [];
    const results: unknown[] = [];
    try {
      this.db.transaction(() => {
        for (const w of batch) results.push(w.run());
      })();
    } catch {
      for (const w of batch) this.commitAlone(w);
      return;
    }
    if (this.checkpointer) this.checkpointer.wrote(batch.reduce((n, w) => n + w.bytes, 0));
    const synced = this.fsync && this.syncer?.alive && batch.some((w) => w.durable) ? this.syncer.sync() : undefined;
    batch.forEach((w, i) => this.committed(w, results[i], synced));
  }

  /**
   * Move WAL checkpoints (checkpointer.ts) and, with fsync on, the WAL fsyncs (wal-syncer.ts) to
   * threads of their own. The gateway does this at open; the `queue` CLI, a short-lived process,
   * keeps SQLite's inline auto-checkpoint and fsyncs on libuv's thread pool.
   */
  checkpointOffThread(onError: (message: string) => void): void {
    this.onStageError = onError;
    if (this.fsync && !this.syncer) {
      const toThreadPool = (message: string, waiters: { resolve: () => void; reject: (err: unknown) => void }[]) => {
        this.syncer = undefined;
        onError(`${message}; WAL fsyncs are back on the thread pool`);
        // What the thread had not confirmed may be in any of the files.
        this.walDirty = true;
        this.stageLog?.markAllDirty();
        this.syncWaiters.push(...waiters);
        if (!this.syncing && this.syncWaiters.length > 0) void this.syncWal();
      };
      try {
        this.syncer = new WalSyncer(`${this.path}-wal`, dirname(this.path), toThreadPool);
      } catch (err) {
        // No thread to be had (resource limits): durability is the same on the thread pool.
        toThreadPool(`cannot start the WAL fsync thread: ${(err as Error).message}`, []);
      }
    }
    this.stageLog ??= new StageLog(
      dirname(this.path),
      (slot) => {
        this.syncer?.reopened(slot);
        this.segmentEntriesSynced.delete(StageLog.path(dirname(this.path), slot));
      },
      () => this.scheduleStageTrim(),
    );
    this.checkpointer ??= new Checkpointer({ db: this.db, path: this.path, pragmas: connectionPragmas(this.db.pragma('busy_timeout', { simple: true }) as number), maxWalBytes: MAX_WAL_BYTES, onError, onResume: () => this.resumed() });
  }

  /**
   * A committed write resolves now, or after the next WAL fsync when it must be durable. Acks and
   * attempt counts are not durable: one lost to a power cut only means a redelivery.
   */
  private committed(w: PendingWrite, result: unknown, synced?: Promise<void>): void {
    if (!this.fsync || !w.durable) return w.resolve(result);
    if (synced) {
      synced.then(() => w.resolve(result), w.reject);
      return;
    }
    this.walDirty = true;
    this.syncWaiters.push({ resolve: () => w.resolve(result), reject: w.reject });
    if (!this.syncing) void this.syncWal();
  }

  /** fsync the WAL for everything committed so far; commits made meanwhile wait for the next one. */
  private async syncWal(): Promise<void> {
    this.syncing = true;
    const waiters = this.syncWaiters;
    this.syncWaiters = [];
    let error: unknown;
    try {
      const segments = this.stageLog?.takeDirty() ?? [];
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
    if (this.syncWaiters.length > 0) void this.syncWal();
  }

  private async syncWalFile(): Promise<void> {
    // Kept open: an open/close per fsync costs two more thread-pool round trips per commit.
    this.walHandle ??= await open(`${this.path}-wal`, 'r');
    await this.walHandle.sync();
      if (!this.walEntrySynced) {
        // Once: the WAL file's directory entry, so the synced file itself survives a power cut.
        const dir = await open(dirname(this.path), 'r');
        try {
          await dir.sync();
        } finally {
          await dir.close();
        }
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

  /**
   * At open, before any queue reads its table: what a crashed run left in the stage log goes into
   * the queue tables (a record that fails its checksum into the dead-letter store), made durable,
   * then the stage is removed. Only the directory's owner may do this (the gateway, or the `queue`
   * command while no gateway runs).
   */
  private foldStage(): void {
    const directory = dirname(this.path);
    const { folded, corrupt, damage } = foldStage(this.db, directory, (exporterId) => this.queueTable(exporterId)!);
    for (const [exporterId, n] of corrupt) this.corruptAtOpen.set(exporterId, (this.corruptAtOpen.get(exporterId) ?? 0) + n);
    this.damageAtOpen.push(...damage);
    if (folded > 0) {
      // On disk before the stage goes: synchronous=NORMAL does not sync the WAL at commit.
      const error = this.syncWalNow();
      if (error) throw error;
      syncDirectory(directory);
    }
    removeStage(directory);
  }

  /** The live-queue table of an exporter, created on first use (schema.ts). */
  queueTable(exporterId: string, create = true): string | undefined {
    return queueTableOf(this.db, exporterId, create);
  }

  exporterIds(): string[] {
    return exporterIdsOf(this.db);
  }

  /** Give freed pages back to the file system and empty the WAL; called when a queue drains. */
  async reclaimSpace(): Promise<void> {
    // The checkpointer thread may hold commits back or be in a checkpoint of its own (then
    // SQLite refuses a second one at once, busy): go after it, a few times at most.
    for (let attempt = 1; ; attempt++) {
      while (this.checkpointer?.holding) await new Promise<void>((resolve) => this.resumeWaiters.push(resolve));
      if (this.closed || this.reclaimSpaceNow() || attempt >= RECLAIM_ATTEMPTS) return;
      await new Promise((resolve) => setTimeout(resolve, RECLAIM_RETRY_MS));
    }
  }

  /** `reclaimSpace` for the `queue` CLI, which has no checkpointer thread; false when busy. */
  reclaimSpaceNow(): boolean {
    this.flush();
    this.db.pragma('incremental_vacuum');
    const [result] = this.db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
    return result?.busy === 0;
  }

  private resumed(): void {
    this.flush();
    for (const resolve of this.resumeWaiters.splice(0)) resolve();
  }

  /** Commit what is waiting, stop the checkpointer thread, close. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.stageTrimTimer);
    // A spare segment being created: let it finish (or fail) before the stage is closed.
    await this.stageLog?.settled();
    // Its connection closes first, so this one is the last: closing checkpoints the WAL.
    await this.checkpointer?.close();
    this.checkpointer = undefined;
    this.flush();
    // What the fsync thread had not confirmed yet is synced below, with everything else.
    if (this.syncer) this.syncWaiters.push(...(await this.syncer.stop()));
    this.syncer = undefined;
    const error = this.fsync && (this.syncing || this.syncWaiters.length > 0) ? this.syncWalNow() : undefined;
    // An fsync in flight still uses the handle: it closes it when done.
    if (!this.syncing) this.closeWalHandle();
    try {
      this.db.close();
    } finally {
      this.releaseLock?.();
      this.releaseLock = undefined;
    }
    // Empty after the queues spilled what they staged (their close): the stage is then deleted.
    this.stageLog?.close();
    this.stageLog = undefined;
    const waiters = this.syncWaiters;
    this.syncWaiters = [];
    for (const w of waiters) {
      if (error) w.reject(error);
      else w.resolve();
    }
  }

  private closeWalHandle(): void {
    const handle = this.walHandle;
    this.walHandle = undefined;
    handle?.close().catch(() => {});
  }

  /** At close only: a synchronous fsync, so nothing resolved as durable is left unsynced. */
  private syncWalNow(): Error | undefined {
    try {
      this.stageLog?.syncAllNow();
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

  private commitAlone(w: PendingWrite): void {
    try {
      let result: unknown;
      this.db.transaction(() => {
        result = w.run();
      })();
      this.committed(w, result);
    } catch (err) {
      w.reject(err);
    }
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

/**
 * The gateway's way in, for the `file_storage` extension that owns the directory: one connection,
 * owned by this process alone (owner-lock.ts), released by `close`. A second open of the same
 * directory, even in this process, is refused by the lock.
 */
export function openOwnedDatabase(directory: string, options: { fsync: boolean; busyTimeoutMs?: number; onWarn?: (message: string) => void }): QueueDatabase {
  const key = resolve(directory);
  const onError = options.onWarn ?? (() => {});
  let unlock: () => void;
  const reserve = new DiskReserve(key);
  try {
    mkdirSync(key, { recursive: true });
    unlock = acquireOwnerLock(key);
  } catch (err) {
    if (err instanceof GatewayError) throw err;
    throw new GatewayError('COMPONENT_START_FAILED', `cannot use queue directory ${key}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const openOptions = { fsync: options.fsync, busyTimeoutMs: options.busyTimeoutMs, foldStage: true, salvage: true, onWarn: onError };
    let database: QueueDatabase;
    try {
      database = QueueDatabase.open(key, openOptions);
    } catch (err) {
      // A restart on a full disk: folding the stage log into SQLite needs room; the spare has it.
      if (!isDiskFull((err as Error).cause ?? err) || !reserve.release()) throw err;
      onError(`queue directory ${key} is full; freed the spare ${reserve.path} to open the queue`);
      database = QueueDatabase.open(key, openOptions);
    }
    database.reserve = reserve;
    database.releaseLock = unlock;
    reserve.ensure();
    database.checkpointOffThread(onError);
    return database;
  } catch (err) {
    unlock();
    throw err;
  }
}
