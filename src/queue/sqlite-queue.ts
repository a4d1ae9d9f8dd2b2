import { crc32 } from 'node:zlib';
import { DEFAULT_RETRY_AFTER_MS, GatewayError, RetryableError } from '../errors.js';
import { silentLogger, type Logger } from '../telemetry/logger.js';
import { CapacityGate, closedError } from './capacity.js';
import { openOwnedDatabase, type QueueDatabase } from './database.js';
import { DeadLetterMoves } from './dead-letter-moves.js';
import { DeadLetterStore } from './dead-letter-store.js';
import { checkRow, QueueTable } from './queue-table.js';
import { DeliveredDeletes } from './delivered-deletes.js';
import { Quarantine } from './quarantine.js';
import { StageTier } from './stage-tier.js';
import {
  sizeOf,
  unitsOf,
  type DeadLetterCount,
  type DeadLetterEntry,
  type DeadLetterSelection,
  type EnqueueOutcome,
  type EnqueueRequest,
  type Queue,
  type PersistentQueueOptions,
  type QueuedRequest,
} from './queue.js';
import { Waiters } from './waiters.js';
import { HeldRequests } from './held-requests.js';

export type { PersistentQueueOptions };

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
 * The parts, a file each: tiering between stage and table (stage-tier.ts), paging through the
 * table (queue-table.ts), dead letters (dead-letter-moves.ts, dead-letter-store.ts), records that
 * fail their check (quarantine.ts), deleting delivered rows and reclaiming space
 * (delivered-deletes.ts).
 */

/** How often staged requests are checked for age (STAGE_MAX_AGE_MS, stage-tier.ts). */
const STAGE_AGE_CHECK_MS = 500;

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
  /** Requests handed out, until acked or dead-lettered (held-requests.ts). */
  private readonly held: HeldRequests;
  private readonly takers = new Waiters<void>();
  /** The table and the read cursor over it (queue-table.ts). */
  private readonly rows: QueueTable;
  private readonly deadLetters: DeadLetterMoves;
  /** Requests in the stage log, and their move into the table (stage-tier.ts). */
  private readonly stage: StageTier;
  private readonly quarantine: Quarantine;
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
    this.held = new HeldRequests(options.sizer);
    const { exporterId } = options;
    this.quarantine = new Quarantine({ exporterId, sizer: options.sizer, logger: this.logger, gate: this.gate, rows: () => this.rows, deadLetters: () => this.deadLetters, onCorrupt: options.onCorrupt });
    this.rows = new QueueTable(database.db, database.queueTable(exporterId)!, this.logger, exporterId, (id, detail) => this.quarantine.dropUnreadable(id, detail));
    const totals = this.rows.atOpen;
    this.deletes = new DeliveredDeletes(database, this.rows, this.logger, exporterId);
    this.gate.preload(unitsOf(options.sizer, { requests: totals.n, items: totals.items, bytes: totals.bytes }));
    const store = new DeadLetterStore(database.db, exporterId, { maxBytes: options.deadLetterMaxBytes, onEvicted: options.onDeadLetterEvicted, logger: this.logger });
    this.deadLetters = new DeadLetterMoves(database, this.rows, store);
    this.stage = new StageTier({
      exporterId,
      logger: this.logger,
      database,
      rows: this.rows,
      deletes: this.deletes,
      deadLetters: this.deadLetters,
      wake: () => this.takers.resolveOne(),
      isClosed: () => this.closed,
    });
    this.spillTimer = setInterval(() => {
      this.stage.soon('age');
      if (!this.closed) this.deletes.retry();
      // Space came back after a full disk: keep room for acks again.
      database.reserve?.ensure();
    }, STAGE_AGE_CHECK_MS);
    this.spillTimer.unref();
    this.quarantine.reportDamageAtOpen(database);
  }

  /**
   * `ownerId`'s queue in a database the caller owns (the file_storage extension: one connection
   * for every queue and client in its directory); throws a clear start error.
   */
  static create(database: QueueDatabase, ownerId: string, options: PersistentQueueOptions, onClosed?: () => void, ownsDatabase = false): SqliteQueue {
    try {
      return new SqliteQueue(database, { ...options, exporterId: ownerId }, ownsDatabase, onClosed);
    } catch (err) {
      if (err instanceof GatewayError) throw err;
      // Name the file: "database disk image is malformed" alone does not say which one.
      throw new GatewayError('COMPONENT_START_FAILED', `cannot open the queue of exporter ${ownerId} in ${database.path}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** A queue that opens its directory's database alone and closes it with itself (tools, tests). */
  static open(options: SqliteQueueOptions): SqliteQueue {
    const logger = options.logger ?? silentLogger;
    const database = openOwnedDatabase(options.directory, { fsync: options.fsync, busyTimeoutMs: options.lockTimeoutMs, onWarn: (message) => logger.warn(message, { exporter: options.exporterId }) });
    try {
      return SqliteQueue.create(database, options.exporterId, options, undefined, true);
    } catch (err) {
      void database.close();
      throw err;
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
    if (this.stage.canStage(payload.byteLength)) {
      try {
        await this.stage.add(payload, request.items, checksum, enqueuedAt);
        return 'committed';
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
    // Straight to a waiting worker, not read back from disk (queue-table.ts, handOff).
    if (!this.closed) this.rows.handOff({ id, payload, items: request.items, size_bytes: payload.byteLength, checksum, attempts: 0, enqueued_at: enqueuedAt, trusted: true });
    this.takers.resolveOne();
    return 'committed';
  }

  private writeFailed(err: unknown, units: number): RetryableError {
    this.gate.release(units);
    this.logger.error('queue write failed', { exporter: this.options.exporterId, error: (err as Error).message });
    return new RetryableError(`sending queue could not store the request: ${(err as Error).message}`, DEFAULT_RETRY_AFTER_MS);
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
        await this.quarantine.row(row, problem);
        continue;
      }
      // Stored before this run AND handed to a worker (or tried) in an earlier one: only then may
      // it have reached the backend already. A backlog never taken is no redelivery.
      const redelivery = row.id <= this.rows.redeliveryUpTo && row.attempts > 0;
      const marked = row.attempts === 0 && this.markTaken(row.id);
      return this.held.handOut(row.id, row.payload as Buffer, row.items, row.attempts, row.enqueued_at, redelivery, marked);
    }
  }

  /** Table rows go first (they are older: a backlog from before this run, or spilled). */
  private pollStaged(): QueuedRequest | undefined {
    const s = this.stage.take();
    return s && this.held.handOut(s.id, s.payload, s.items, s.attempts, s.enqueuedAt, false, false);
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
    const entry = this.held.settle(id);
    if (!entry) return;
    // A negative id is staged (stage-tier.ts); a row is deleted, or parked on a full disk.
    await (id < 0 ? this.stage.ack(id) : this.deletes.delete(id));
    this.gate.release(entry.units);
    await this.maybeReclaim();
  }

  async recordAttempt(id: number): Promise<void> {
    const entry = this.held.get(id);
    if (!entry) return;
    entry.attempts++;
    if (entry.marked && entry.attempts === 1) return; // stored when it was taken
    const rowId = id < 0 ? this.stage.attempt(id) : id;
    if (rowId !== undefined) await this.database.write(() => this.rows.attemptSync(rowId), { durable: false });
  }

  async deadLetter(id: number, reason: string): Promise<void> {
    const entry = this.held.settle(id);
    if (!entry) return;
    await (id < 0 ? this.stage.deadLetter(id, reason) : this.deadLetters.fromTable(id, reason));
    this.gate.release(entry.units);
    await this.maybeReclaim();
  }

  async deadLetterNew(bytes: Uint8Array, items: number, reason: string): Promise<void> {
    if (this.closed) throw closedError();
    await this.deadLetters.fromNew(bytes, items, reason);
  }

  size(): number {
    return this.gate.size();
  }

  deadLetterSize(): number {
    return this.deadLetters.store.size;
  }

  async listDeadLetters(opts: { limit: number; after?: number }): Promise<DeadLetterEntry[]> {
    return this.deadLetters.store.list(opts);
  }

  /**
   * The selected dead letters become rows at the end of the table, attempts reset; the cursor reads
   * them like any new row, so a running exporter's workers (woken here) send them at once.
   */
  async replayDeadLetters(sel: DeadLetterSelection): Promise<DeadLetterCount> {
    if (this.closed) throw closedError();
    const moved = await this.deadLetters.replay(sel);
    if (moved.requests === 0) return { requests: 0, records: 0 };
    // Counted even past capacity: they were stored already, only in another table.
    this.gate.preload(unitsOf(this.options.sizer, { requests: moved.requests, items: moved.records, bytes: moved.bytes }));
    this.takers.resolveAll();
    return { requests: moved.requests, records: moved.records };
  }

  async deleteDeadLetters(sel: DeadLetterSelection): Promise<DeadLetterCount> {
    if (this.closed) throw closedError();
    const removed = await this.deadLetters.delete(sel);
    if (removed.requests > 0) await this.maybeReclaim();
    return removed;
  }

  /** The first row by id (ids follow arrival; a replayed one keeps its first enqueue time), or the oldest staged. */
  oldestEnqueuedAtMs(): number | undefined {
    let oldest = this.rows.oldestEnqueuedAt();
    const staged = this.stage.staged.oldestEnqueuedAt();
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
    await this.stage.close();
    await this.deletes.flush();
    this.onClosed?.();
    if (this.ownsDatabase) await this.database.close();
  }

  /** When the queue drained, give space back (delivered-deletes.ts). Never throws. */
  private async maybeReclaim(): Promise<void> {
    if (this.gate.size() > 0 || this.held.size > 0) return;
    await this.deletes.reclaim();
  }
}
