import { mkdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { GatewayError } from '../errors.js';
import { Checkpointer } from './checkpointer.js';
import { acquireOwnerLock } from './owner-lock.js';
import { DiskReserve, isDiskFull } from './disk-reserve.js';
import { isCorruption, moveAside, salvageInto, type SalvageResult } from './salvage.js';
import type { StageDamage } from './stage-fold.js';
import { StageCoordinator } from './stage-coordinator.js';
import { WalDurability } from './wal-durability.js';
import { connectionPragmas, exporterIdsOf, migrate, queueTableOf, QUEUE_DB_FILE, startError } from './schema.js';

export { QUEUE_DB_FILE } from './schema.js';

/** What a write without a payload (an ack, an attempt count) adds to the WAL, about: a page or two. */
const WRITE_OVERHEAD_BYTES = 8 * 1024;
/** Written since the WAL last restarted, commits wait for the checkpoint that restarts it (checkpointer.ts). */
const MAX_WAL_BYTES = 32 * 1024 * 1024;
/** A drained queue's TRUNCATE checkpoint, when the checkpointer thread is busy: tries, and the wait between. */
const RECLAIM_ATTEMPTS = 20;
const RECLAIM_RETRY_MS = 25;

interface PendingWrite {
  run: () => unknown;
  /** Must reach the disk before it resolves (fsync when fsync is on); see `write`. */
  durable: boolean;
  /** About how many bytes it writes (WAL accounting for the checkpointer). */
  bytes: number;
  resolve: (value: any) => void;
  reject: (err: unknown) => void;
}

/**
 * The one connection to a `file_storage` directory's database (format: schema.ts), owned by the
 * extension and shared by every queue and key/value client there. This file keeps the group
 * commit (writes from one event-loop turn share one transaction) and the connection's life: open
 * (salvaging a damaged file), the checkpointer thread, space reclaim, close. The fsync paths are
 * in wal-durability.ts, the stage log's side in stage-coordinator.ts.
 *
 * Durability: WAL mode with `synchronous=NORMAL` (SQLite then syncs only at checkpoints); with
 * fsync on (the default) durable writes resolve only once the WAL is fsync'd (wal-durability.ts):
 * the guarantee of `synchronous=FULL` without blocking the event loop. fsync off: a power cut may
 * lose the last commits, a process crash loses nothing. In the gateway, WAL checkpoints run on a
 * thread of their own (checkpointer.ts).
 */
export class QueueDatabase {
  private writes: PendingWrite[] = [];
  private flushScheduled = false;
  private closed = false;
  private checkpointer?: Checkpointer;
  private readonly resumeWaiters: (() => void)[] = [];
  private readonly durability: WalDurability;
  /** The stage log's side: appends, marks, trim, the fold at open and its damage. */
  readonly staging: StageCoordinator;
  /** Space kept back for acks on a full disk (disk-reserve.ts); the gateway's connection only. */
  reserve?: DiskReserve;
  /** Lets go of the directory's owner lock (openOwnedDatabase); called once the file is closed. */
  releaseLock?: () => void;

  private constructor(
    readonly db: Database.Database,
    readonly path: string,
    private readonly fsync: boolean,
  ) {
    this.durability = new WalDurability(path, () => this.staging.log);
    this.staging = new StageCoordinator(path, fsync, this.durability, () => this.scheduleFlush());
  }

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
    this.staging.addDamage({ exporterId, file: result.movedTo, requests: result.unreadable.length, reason });
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

  /** Every damage found at open and not taken by a queue yet (the `queue` command prints them). */
  get damageFound(): readonly StageDamage[] {
    return this.staging.damageFound;
  }

  /** Damage found at open charged to this exporter, once (stage-coordinator.ts). */
  takeDamageAtOpen(exporterId: string): StageDamage[] {
    return this.staging.takeDamageAtOpen(exporterId, new Set(this.exporterIds().filter((id) => id !== exporterId)));
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  /** Commit everything waiting now. */
  flush(): void {
    this.flushScheduled = false;
    this.staging.flush();
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
    const synced = this.fsync && batch.some((w) => w.durable) ? this.durability.syncedByThread() : undefined;
    batch.forEach((w, i) => this.committed(w, results[i], synced));
  }

  /**
   * Move WAL checkpoints (checkpointer.ts) and, with fsync on, the WAL fsyncs (wal-syncer.ts) to
   * threads of their own, and open the stage log. The gateway does this at open; the `queue`
   * command, a short-lived process, keeps SQLite's inline auto-checkpoint and the thread pool.
   */
  checkpointOffThread(onError: (message: string) => void): void {
    if (this.fsync) this.durability.startThread(onError);
    this.staging.start(onError);
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
    this.durability.afterWalSync({ resolve: () => w.resolve(result), reject: w.reject });
  }

  /** At open: fold a crashed run's stage log into the tables (stage-coordinator.ts). */
  private foldStage(): void {
    this.staging.fold(this.db, (exporterId) => this.queueTable(exporterId)!);
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
    this.durability.closing();
    await this.staging.closing();
    // Its connection closes first, so this one is the last: closing checkpoints the WAL.
    await this.checkpointer?.close();
    this.checkpointer = undefined;
    this.flush();
    const settle = await this.durability.stop(this.fsync);
    try {
      this.db.close();
    } finally {
      this.releaseLock?.();
      this.releaseLock = undefined;
    }
    // Empty after the queues spilled what they staged (their close): the stage is then deleted.
    this.staging.close();
    settle();
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
