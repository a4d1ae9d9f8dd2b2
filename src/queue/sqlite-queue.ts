import { crc32 } from 'node:zlib';
import { DEFAULT_RETRY_AFTER_MS, GatewayError, RetryableError } from '../errors.js';
import { silentLogger, type Logger } from '../telemetry/logger.js';
import { CapacityGate, closedError } from './capacity.js';
import { openOwnedDatabase, type QueueDatabase } from './database.js';
import { DeadLetterStore } from './dead-letter-store.js';
import { checkRow, QueueTable, type Row } from './queue-table.js';
import { DeliveredDeletes } from './delivered-deletes.js';
import { StagedRequests, type Staged } from './staged-requests.js';
import {
  emptyRequest,
  sizeOf,
  type DeadLetterCount,
  type DeadLetterEntry,
  type DeadLetterSelection,
  type EnqueueOutcome,
  type EnqueueRequest,
  type HandedOut,
  type Queue,
  type QueueLimits,
  type QueuedRequest,
} from './queue.js';
import { Waiters } from './waiters.js';

/**
 * The persistent queue: one exporter's table in the directory's SQLite database (format in
 * schema.ts), and the stage log in front of it (stage-log.ts). Design:
 * - A new request is written once, at enqueue, in a group commit, to the stage log (or, when the
 *   stage cannot take it, as a row of the table); `enqueue` resolves after that write's fsync. A
 *   staged request is handed out from memory under a negative id; acking it only frees its stage
 *   space. It becomes a row when the stage holds too much (oldest first) and at close.
 * - A row is deleted only by `ack`, or moved to `dead_letter` by `deadLetter` or when it fails
 *   its checksum. Nothing else deletes: not close, not start.
 * - On open every row is pending again. Rows are handed out oldest first through a cursor over
 *   the monotonic AUTOINCREMENT id, a page at a time, so start-up and memory stay flat however
 *   long the backlog is; only counts and sums are read at open.
 * - Every row carries crc32(payload). A row that fails it, or cannot be read at all, is moved
 *   aside or deleted, counted and logged, and the queue carries on: never a crash loop.
 * - When the queue drains and enough space is free, pages go back to the file system
 *   (auto_vacuum=INCREMENTAL) and the WAL is truncated.
 */

/** Staged requests moved to the table per transaction (see `spill`). */
const SPILL_BATCH = 64;
/**
 * Staged requests older than this move to the table even when the stage has room: a request the
 * backend has not taken by then is a backlog, and the table is where a backlog is read page by page,
 * counted by the `queue` command while the gateway runs, and not delivered again after a crash.
 */
const STAGE_MAX_AGE_MS = 2_000;
const STAGE_AGE_CHECK_MS = 500;

/** What the owner of a persistent queue (an exporter) says about it; the storage decides the rest. */
export interface PersistentQueueOptions extends QueueLimits {
  logger?: Logger;
  /** Called once per stored record that failed its checksum or could not be read. */
  onCorrupt?: () => void;
  /** Bytes this exporter's dead letters may hold; past it the oldest go (0 or absent: no bound). */
  deadLetterMaxBytes?: number;
  /** Dead letters removed to make room: requests and their log records. */
  onDeadLetterEvicted?: (requests: number, records: number) => void;
}

/** A queue that opens (and owns) its directory's database itself: tools and tests. */
export interface SqliteQueueOptions extends PersistentQueueOptions {
  directory: string;
  fsync: boolean;
  /** SQLite busy timeout (`file_storage.timeout`). */
  lockTimeoutMs?: number;
  exporterId: string;
}

export class SqliteQueue implements Queue {
  private readonly gate: CapacityGate;
  private readonly logger: Logger;
  /**
   * Requests handed out, until acked or dead-lettered (then emptied: queue.ts, emptyRequest).
   * `marked`: taking it stored attempts = 1 (see `markTaken`), which stands for the first failure.
   */
  private readonly held = new Map<number, { units: number; attempts: number; request: HandedOut; marked?: boolean }>();
  private readonly takers = new Waiters<void>();
  /** The table and the read cursor over it (queue-table.ts). */
  private readonly rows: QueueTable;
  private readonly deadLetters: DeadLetterStore;
  /** Requests whose bytes are in the stage log (staged-requests.ts). */
  private readonly staged = new StagedRequests();
  /** Staged requests moved to the table while a worker held them: their row, by staged id. */
  private readonly heldRows = new Map<number, number>();
  /** The spill in progress, if any (one at a time). */
  private spilling?: Promise<void>;
  private readonly spillTimer: NodeJS.Timeout;
  private closed = false;
  /** Deleting delivered rows, parking them on a full disk, reclaiming space (delivered-deletes.ts). */
  private readonly deletes: DeliveredDeletes;

  private constructor(
    private readonly database: QueueDatabase,
    private readonly options: PersistentQueueOptions & { exporterId: string },
    /** Close the database with the queue (a queue opened with `open`, not through file_storage). */
    private readonly ownsDatabase: boolean,
    private readonly onClosed?: () => void,
  ) {
    this.logger = options.logger ?? silentLogger;
    this.gate = new CapacityGate(options);
    this.rows = new QueueTable(database.db, database.queueTable(options.exporterId)!, this.logger, options.exporterId, (id, detail) => this.dropUnreadable(id, detail));
    const totals = this.rows.atOpen;
    this.deletes = new DeliveredDeletes(database, this.rows, this.logger, options.exporterId);
    this.gate.preload(options.sizer === 'requests' ? totals.n : options.sizer === 'items' ? totals.items : totals.bytes);
    this.deadLetters = new DeadLetterStore(database.db, options.exporterId, { maxBytes: options.deadLetterMaxBytes, onEvicted: options.onDeadLetterEvicted, logger: this.logger });
    this.spillTimer = setInterval(() => {
      this.spillSoon('age');
      if (!this.closed) this.deletes.retry();
      // Space came back after a full disk: keep room for acks again.
      database.reserve?.ensure();
    }, STAGE_AGE_CHECK_MS);
    this.spillTimer.unref();
    for (const damage of database.takeDamageAtOpen(options.exporterId)) {
      for (let i = 0; i < damage.requests; i++) options.onCorrupt?.();
      this.logger.error('stage log damaged: records lost; a dead-letter entry describes the range (QUEUE_CORRUPT_RECORD)', {
        exporter: options.exporterId,
        file: damage.file,
        ...(damage.offset === undefined ? {} : { offset: damage.offset, bytes: damage.bytes }),
        requests: damage.requests,
      });
    }
    const corrupt = database.staging.takeCorruptAtOpen(options.exporterId);
    if (corrupt > 0) {
      for (let i = 0; i < corrupt; i++) options.onCorrupt?.();
      this.logger.warn('records left in the stage log failed their integrity check; moved to the dead-letter store (QUEUE_CORRUPT_RECORD)', { exporter: options.exporterId, records: corrupt });
    }
  }

  /**
   * `ownerId`'s queue in a database the caller owns (the file_storage extension: one connection
   * for every queue and client in its directory); throws a clear start error.
   */
  static create(database: QueueDatabase, ownerId: string, options: PersistentQueueOptions, onClosed?: () => void): SqliteQueue {
    return SqliteQueue.construct(database, { ...options, exporterId: ownerId }, false, onClosed);
  }

  /** A queue that opens its directory's database alone and closes it with itself (tools, tests). */
  static open(options: SqliteQueueOptions): SqliteQueue {
    const logger = options.logger ?? silentLogger;
    const database = openOwnedDatabase(options.directory, { fsync: options.fsync, busyTimeoutMs: options.lockTimeoutMs, onWarn: (message) => logger.warn(message, { exporter: options.exporterId }) });
    try {
      return SqliteQueue.construct(database, options, true);
    } catch (err) {
      void database.close();
      throw err;
    }
  }

  private static construct(database: QueueDatabase, options: PersistentQueueOptions & { exporterId: string }, ownsDatabase: boolean, onClosed?: () => void): SqliteQueue {
    try {
      return new SqliteQueue(database, options, ownsDatabase, onClosed);
    } catch (err) {
      if (err instanceof GatewayError) throw err;
      // Name the file: "database disk image is malformed" alone does not say which one.
      throw new GatewayError('COMPONENT_START_FAILED', `cannot open the queue of exporter ${options.exporterId} in ${database.path}: ${(err as Error).message}`, { cause: err });
    }
  }

  get capacity(): number {
    return this.gate.capacity;
  }

  /** Requests stored before this process opened the queue (they are delivered first). */
  get backlogAtOpen(): number {
    return this.rows.redeliveryUpTo;
  }

  async enqueue(request: EnqueueRequest): Promise<EnqueueOutcome> {
    if (this.closed) throw closedError();
    const units = sizeOf(this.options.sizer, request);
    if (!(await this.gate.reserve(units, request.signal))) return 'dropped';
    const payload = Buffer.from(request.bytes.buffer, request.bytes.byteOffset, request.bytes.byteLength);
    const checksum = crc32(payload);
    const enqueuedAt = Date.now();
    if (this.database.staging.canStage(this.options.exporterId, payload.byteLength)) {
      try {
        return await this.enqueueStaged(payload, request.items, checksum, enqueuedAt);
      } catch (err) {
        // No new segment to be had, or a write error: the table is the way still open.
        this.logger.warn('stage log write failed; storing the request in the queue table', { exporter: this.options.exporterId, error: (err as Error).message });
      }
    }
    let id: number;
    try {
      id = await this.database.write(() => this.rows.insertSync(payload, request.items, checksum, 0, enqueuedAt), { bytes: payload.byteLength });
    } catch (err) {
      throw this.writeFailed(err, units);
    }
    this.rows.committed(id);
    this.handOff({ id, payload, items: request.items, size_bytes: payload.byteLength, checksum, attempts: 0, enqueued_at: enqueuedAt, trusted: true });
    this.takers.resolveOne();
    return 'committed';
  }

  /** The fast path: the bytes go to the stage log, durably, and wait in memory for a consumer. */
  private async enqueueStaged(payload: Buffer, items: number, checksum: number, enqueuedAt: number): Promise<EnqueueOutcome> {
    const at = await this.database.staging.stage({ exporterId: this.options.exporterId, items, checksum, enqueuedAt, payload });
    // Closed meanwhile: the record is durable in the stage, which the next start folds in.
    if (this.closed) return 'committed';
    this.staged.add({ payload, items, checksum, enqueuedAt, at });
    this.takers.resolveOne();
    if (this.database.staging.full) this.spillSoon('full');
    return 'committed';
  }

  private writeFailed(err: unknown, units: number): RetryableError {
    this.gate.release(units);
    this.logger.error('queue write failed', { exporter: this.options.exporterId, error: (err as Error).message });
    return new RetryableError(`sending queue could not store the request: ${(err as Error).message}`, DEFAULT_RETRY_AFTER_MS);
  }

  private spillSoon(reason: 'full' | 'age'): void {
    if (this.spilling || this.closed || this.staged.size === 0) return;
    this.spilling = this.spill(reason)
      .catch((err) => this.logger.warn('could not move staged requests into the queue table', { exporter: this.options.exporterId, error: (err as Error).message }))
      .finally(() => (this.spilling = undefined));
  }

  /**
   * Move staged requests into the table (durably), oldest first, then free their stage space: when
   * the stage is over its bound, those waiting for a worker; those older than STAGE_MAX_AGE_MS,
   * and at close all, whether a worker holds them or not. A held one keeps its staged id: its ack
   * deletes the row, and the cursor passes over the row meanwhile.
   */
  private async spill(reason: 'close' | 'full' | 'age'): Promise<void> {
    // At close everything, taken once (there can be many with small requests).
    const everything = reason === 'close' ? this.staged.all() : [];
    for (let next = 0; ; next += SPILL_BATCH) {
      const batch =
        reason === 'close'
          ? everything.slice(next, next + SPILL_BATCH)
          : reason === 'full'
            ? this.database.staging.full
              ? this.staged.oldestReady(SPILL_BATCH)
              : []
            : this.staged.enqueuedBefore(Date.now() - STAGE_MAX_AGE_MS, SPILL_BATCH);
      if (batch.length === 0) return;
      // A backlog moved into SQLite takes disk space; on a nearly full disk it waits in the stage
      // (preallocated: no new space), so the space left serves acks and new requests. At close it
      // goes anyway: what does not fit stays in the stage for the next start.
      if (reason !== 'close' && this.database.reserve && !this.database.reserve.hasRoomFor(2 * batch.reduce((n, s) => n + s.payload.byteLength, 0))) return;
      this.staged.startSpill(batch);
      // Every id the insert was given, also by a try SQLite rolled back (then reused later).
      const tried: number[] = [];
      let ids: number[] | undefined;
      try {
        await this.database.write(
          () => {
            ids = batch.map((s) => {
              // A held one may have reached the backend already: attempts >= 1 marks it so.
              const id = this.rows.insertSync(s.payload, s.items, s.checksum, s.spilledFrom === 'held' ? Math.max(1, s.attempts) : s.attempts, s.enqueuedAt);
              // Before the commit: a crash after it finds the row and folds no second copy.
              this.database.staging.markSpilled(s.at, id);
              return id;
            });
            tried.push(...ids);
            // From the commit on, the cursor could reach these rows; workers have them already.
            batch.forEach((s, i) => s.spilledFrom === 'held' && this.rows.skipRows.add(ids![i]!));
            return ids;
          },
          { bytes: batch.reduce((n, s) => n + s.payload.byteLength, 0) },
        );
      } catch (err) {
        const committed = ids !== undefined && this.rows.exists(ids[0]!);
        for (const id of tried) if (!committed || !ids!.includes(id)) this.rows.skipRows.delete(id);
        if (!committed) {
          this.staged.abortSpill(batch);
          throw err;
        }
        // Committed, only its fsync failed: the rows serve from now on, and the stage keeps its
        // copy (not released) so a power cut loses nothing.
        this.spilled(batch, ids!, false);
        throw err;
      }
      for (const id of tried) if (!ids!.includes(id)) this.rows.skipRows.delete(id);
      this.spilled(batch, ids!, true);
    }
  }

  /** Spilled: ready ones are handed out through the table now; held ones keep their staged id. */
  private spilled(batch: Staged[], ids: number[], durable: boolean): void {
    batch.forEach((s, i) => {
      const rowId = ids[i]!;
      this.rows.committed(rowId);
      this.staged.delete(s.id);
      if (durable) this.database.staging.unstage(s.at);
      if (s.spilledFrom !== 'held') return this.takers.resolveOne();
      const settled = s.settledWhileSpilling;
      if (!settled) return void this.heldRows.set(s.id, rowId);
      // Its worker finished with it while it was being moved: finish here.
      const done = settled.deadLetterReason === undefined ? this.deletes.deleteRow(rowId) : this.moveToDeadLetter(rowId, settled.deadLetterReason);
      done.then(
        () => this.rows.skipRows.delete(rowId),
        (err: Error) => this.logger.warn('could not settle a request moved to the queue table; it is delivered again at the next start', { exporter: this.options.exporterId, error: err.message }),
      );
    });
  }

  async take(signal?: AbortSignal): Promise<QueuedRequest | undefined> {
    for (;;) {
      if (this.closed || signal?.aborted) return undefined;
      const request = await this.poll();
      if (request) return request;
      if (this.closed || signal?.aborted) return undefined;
      await this.takers.wait(signal);
    }
  }

  async poll(): Promise<QueuedRequest | undefined> {
    for (;;) {
      if (this.closed) return undefined;
      const row = this.rows.next();
      if (!row) return this.pollStaged();
      const problem = row.trusted ? undefined : checkRow(row);
      if (problem) {
        await this.quarantine(row, problem);
        continue;
      }
      const payload = row.payload as Buffer;
      const request: HandedOut = {
        id: row.id,
        bytes: new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength),
        items: row.items,
        attempts: row.attempts,
        enqueuedAtMs: row.enqueued_at,
        // Stored before this run AND handed to a worker (or tried) in an earlier one: only then may
        // it have reached the backend already. A backlog never taken is no redelivery.
        redelivery: row.id <= this.rows.redeliveryUpTo && row.attempts > 0,
        logs: undefined,
      };
      const marked = row.attempts === 0 && this.markTaken(row.id);
      this.held.set(row.id, { units: sizeOf(this.options.sizer, { items: row.items, bytes: row.size_bytes }), attempts: row.attempts, request, marked });
      return request;
    }
  }

  /** Table rows go first (they are older: a backlog from before this run, or spilled). */
  private pollStaged(): QueuedRequest | undefined {
    const s = this.staged.takeReady();
    if (!s) return undefined;
    const request: HandedOut = {
      id: s.id,
      bytes: new Uint8Array(s.payload.buffer, s.payload.byteOffset, s.payload.byteLength),
      items: s.items,
      attempts: s.attempts,
      enqueuedAtMs: s.enqueuedAt,
      redelivery: false,
      logs: undefined,
    };
    this.held.set(s.id, { units: sizeOf(this.options.sizer, { items: s.items, bytes: s.payload.byteLength }), attempts: s.attempts, request });
    this.database.staging.markTaken(s.at);
    return request;
  }

  /**
   * Store attempts = 1 for a row handed out, so that after a crash its delivery counts as the
   * redelivery it may be (gateway_exporter_redelivered_log_records_total). Not durable and not
   * awaited: a mark lost only under-counts, and costs no delivery.
   */
  private markTaken(rowId: number): boolean {
    this.database.write(() => this.rows.markTakenSync(rowId), { durable: false }).catch(() => {});
    return true;
  }

  async ack(id: number): Promise<void> {
    const entry = this.held.get(id);
    if (!entry) return;
    this.held.delete(id);
    emptyRequest(entry.request);
    if (id < 0) {
      const rowId = this.heldRows.get(id);
      if (rowId !== undefined) {
        // Moved to the table while its worker held it.
        this.heldRows.delete(id);
        await this.deletes.delete(rowId);
        if (!this.deletes.isParked(rowId)) this.rows.skipRows.delete(rowId);
      } else {
        // Staged: nothing in the table to delete, only stage space to free.
        const s = this.staged.get(id);
        if (s?.state === 'spilling') s.settledWhileSpilling = {};
        else if (s) {
          this.staged.delete(id);
          this.database.staging.unstage(s.at);
        }
      }
      this.gate.release(entry.units);
      return this.maybeReclaim();
    }
    await this.deletes.delete(id);
    this.gate.release(entry.units);
    await this.maybeReclaim();
  }

  async recordAttempt(id: number): Promise<void> {
    const entry = this.held.get(id);
    if (!entry) return;
    entry.attempts++;
    if (entry.marked && entry.attempts === 1) return; // stored when it was taken
    const rowId = id < 0 ? this.heldRows.get(id) : id;
    if (rowId === undefined) {
      const s = this.staged.get(id);
      if (s) s.attempts++;
      return;
    }
    await this.database.write(() => this.rows.attemptSync(rowId), { durable: false });
  }

  async deadLetter(id: number, reason: string): Promise<void> {
    const entry = this.held.get(id);
    if (!entry) return;
    this.held.delete(id);
    emptyRequest(entry.request);
    const rowId = id < 0 ? this.heldRows.get(id) : id;
    if (rowId === undefined) await this.deadLetterStaged(id, reason);
    else {
      this.heldRows.delete(id);
      await this.moveToDeadLetter(rowId, reason);
      this.rows.skipRows.delete(rowId);
    }
    this.gate.release(entry.units);
    await this.maybeReclaim();
  }

  private async deadLetterStaged(id: number, reason: string): Promise<void> {
    const s = this.staged.get(id);
    if (!s) return;
    if (s.state === 'spilling') {
      s.settledWhileSpilling = { deadLetterReason: reason };
      return;
    }
    const evicted = await this.database.write(() => this.deadLetters.addSync({ payload: s.payload, items: s.items, checksum: s.checksum, attempts: s.attempts, enqueuedAt: s.enqueuedAt, reason }));
    this.staged.delete(id);
    this.database.staging.unstage(s.at);
    this.deadLetters.added(evicted);
  }

  async deadLetterNew(bytes: Uint8Array, items: number, reason: string): Promise<void> {
    if (this.closed) throw closedError();
    const payload = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const evicted = await this.database.write(() => this.deadLetters.addSync({ payload, items, checksum: crc32(payload), attempts: 0, enqueuedAt: Date.now(), reason }));
    this.deadLetters.added(evicted);
  }

  size(): number {
    return this.gate.size();
  }

  deadLetterSize(): number {
    return this.deadLetters.size;
  }

  async listDeadLetters(opts: { limit: number; after?: number }): Promise<DeadLetterEntry[]> {
    return this.deadLetters.list(opts);
  }

  /**
   * The selected dead letters become rows at the end of the table, attempts reset; the cursor reads
   * them like any new row, so a running exporter's workers (woken here) send them at once.
   */
  async replayDeadLetters(sel: DeadLetterSelection): Promise<DeadLetterCount> {
    if (this.closed) throw closedError();
    const moved = await this.database.write(() => this.deadLetters.replayIntoSync(this.rows.name, sel));
    this.deadLetters.removed(moved);
    if (moved.requests === 0) return { requests: 0, records: 0 };
    this.rows.refreshMaxId();
    // Counted even past capacity: they were stored already, only in another table.
    this.gate.preload(this.options.sizer === 'requests' ? moved.requests : this.options.sizer === 'items' ? moved.records : moved.bytes);
    this.takers.resolveAll();
    return { requests: moved.requests, records: moved.records };
  }

  async deleteDeadLetters(sel: DeadLetterSelection): Promise<DeadLetterCount> {
    if (this.closed) throw closedError();
    const removed = await this.database.write(() => this.deadLetters.deleteSync(sel), { durable: false });
    this.deadLetters.removed(removed);
    if (removed.requests > 0) await this.maybeReclaim();
    return removed;
  }

  /** The first row by id (ids follow arrival; a replayed one keeps its first enqueue time), or the oldest staged. */
  oldestEnqueuedAtMs(): number | undefined {
    let oldest = this.rows.oldestEnqueuedAt();
    const staged = this.staged.oldestEnqueuedAt();
    if (staged !== undefined && (oldest === undefined || staged < oldest)) oldest = staged;
    return oldest;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.gate.close();
    this.takers.resolveAll();
    this.rows.clear();
    clearInterval(this.spillTimer);
    // Everything staged goes into the table, so a stopped gateway leaves only the database.
    await this.spilling;
    try {
      await this.spill('close');
    } catch (err) {
      this.logger.warn('staged requests stay in the stage log; the next start delivers them', { exporter: this.options.exporterId, error: (err as Error).message });
    }
    await this.deletes.flush();
    this.onClosed?.();
    if (this.ownsDatabase) await this.database.close();
  }

  /** A just-committed row goes straight to a waiting worker (queue-table.ts, handOff). */
  private handOff(row: Row): void {
    if (!this.closed) this.rows.handOff(row);
  }

  private async quarantine(row: Row, problem: string): Promise<void> {
    this.options.onCorrupt?.();
    this.logger.warn('skipping a stored queue record that failed its integrity check (QUEUE_CORRUPT_RECORD)', {
      exporter: this.options.exporterId,
      record: row.id,
      problem,
    });
    try {
      await this.moveToDeadLetter(row.id, `corrupt record: ${problem}`);
    } catch {
      this.dropUnreadable(row.id, problem);
      return;
    }
    this.resyncSize();
  }

  /** A row SQLite cannot even read: delete it if possible, count it, move on. */
  private dropUnreadable(id: number, detail: string): void {
    this.options.onCorrupt?.();
    this.logger.error('dropping an unreadable queue record (QUEUE_CORRUPT_RECORD)', { exporter: this.options.exporterId, record: id, error: detail });
    try {
      this.rows.removeSync(id);
    } catch {
      // The page is beyond repair; the cursor has moved past it, which is all that matters.
    }
    this.resyncSize();
  }

  private async moveToDeadLetter(id: number, reason: string): Promise<void> {
    const evicted = await this.database.write(() => {
      const result = this.deadLetters.addFromTableSync(this.rows.name, id, reason);
      this.rows.removeSync(id);
      return result;
    });
    this.deadLetters.added(evicted);
  }

  /** After removing a row whose sizes cannot be trusted, recount from the table. */
  private resyncSize(): void {
    try {
      const totals = this.rows.totals();
      const units = this.options.sizer === 'requests' ? totals.n : this.options.sizer === 'items' ? totals.items : totals.bytes;
      const excess = this.gate.size() - units;
      if (excess > 0) this.gate.release(excess);
    } catch {
      // Keep the old count: over-counting only refuses earlier, it loses nothing.
    }
  }

  /** When the queue drained, give space back (delivered-deletes.ts). Never throws. */
  private async maybeReclaim(): Promise<void> {
    if (this.gate.size() > 0 || this.held.size > 0) return;
    await this.deletes.reclaim();
  }
}
