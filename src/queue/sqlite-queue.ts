import { statSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { DEFAULT_RETRY_AFTER_MS, GatewayError, RetryableError } from '../errors.js';
import { silentLogger, type Logger } from '../telemetry/logger.js';
import { CapacityGate, closedError } from './capacity.js';
import { acquireDatabase, releaseDatabase, type QueueDatabase } from './database.js';
import { isDiskFull } from './disk-reserve.js';
import type { StageSlot } from './stage-log.js';
import { StagedRequests, type Staged } from './staged-requests.js';
import { emptyRequest, sizeOf, type DeadLetterEntry, type DeadLetterSelection, type EnqueueOutcome, type EnqueueRequest, type HandedOut, type Queue, type QueueLimits, type QueuedRequest } from './queue.js';
import { deleteDeadLetterRows, listDeadLetterPage, moveDeadLettersToQueue } from './dead-letter-live.js';
import { Waiters } from './waiters.js';

/**
 * The persistent queue: one exporter's table in the directory's SQLite database (format in
 * database.ts), and the stage log in front of it (stage-log.ts). Design:
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
/** Rows read per page when handing out requests: bounds memory, amortises queries. */
const READ_PAGE_ROWS = 32;
/** Reclaim on drain only when it is worth a checkpoint: 256 free pages (1 MiB at 4 KiB pages)… */
const RECLAIM_MIN_FREE_PAGES = 256;
/** …or a WAL larger than this. */
const RECLAIM_MIN_WAL_BYTES = 4 * 1024 * 1024;

export interface SqliteQueueOptions extends QueueLimits {
  directory: string;
  fsync: boolean;
  /** SQLite busy timeout (`file_storage.timeout`); the first user of a directory sets it. */
  lockTimeoutMs?: number;
  exporterId: string;
  logger?: Logger;
  /** Called once per stored record that failed its checksum or could not be read. */
  onCorrupt?: () => void;
  /** Bytes this exporter's dead letters may hold; past it the oldest go (0 or absent: no bound). */
  deadLetterMaxBytes?: number;
  /** Dead letters removed to make room: requests and their log records. */
  onDeadLetterEvicted?: (requests: number, records: number) => void;
}

interface Row {
  id: number;
  payload: unknown;
  items: number;
  size_bytes: number;
  checksum: number;
  attempts: number;
  enqueued_at: number;
  /** Handed off from memory right after its commit: never read from disk, so nothing to verify. */
  trusted?: boolean;
}

export class SqliteQueue implements Queue {
  private readonly gate: CapacityGate;
  private readonly table: string;
  private readonly logger: Logger;
  /**
   * Requests handed out, until acked or dead-lettered (then emptied: queue.ts, emptyRequest).
   * `marked`: taking it stored attempts = 1 (see `markTaken`), which stands for the first failure.
   */
  private readonly held = new Map<number, { units: number; attempts: number; request: HandedOut; marked?: boolean }>();
  private readonly takers = new Waiters<void>();
  private buffer: Row[] = [];
  /** Highest id handed out or skipped: rows above it are pending. */
  private cursor = 0;
  /** Highest committed id we know of. */
  private maxId: number;
  /** Rows up to this id were stored before we opened: delivering them may duplicate. */
  private readonly redeliveryUpTo: number;
  private deadLetters: number;
  /** Requests whose bytes are in the stage log (staged-requests.ts). */
  private readonly staged = new StagedRequests();
  /** Staged requests moved to the table while a worker held them: their row, by staged id. */
  private readonly heldRows = new Map<number, number>();
  /** Those rows, until deleted: the cursor passes over them (a worker has them already). */
  private readonly skipRows = new Set<number>();
  /** The spill in progress, if any (one at a time). */
  private spilling?: Promise<void>;
  private readonly spillTimer: NodeJS.Timeout;
  private closed = false;
  /** Rows of delivered requests whose delete failed (a full disk): deleted later, together. */
  private readonly pendingDeletes = new Set<number>();
  private retryingDeletes = false;
  private readonly sql;

  private constructor(
    private readonly database: QueueDatabase,
    private readonly options: SqliteQueueOptions,
  ) {
    this.logger = options.logger ?? silentLogger;
    this.gate = new CapacityGate(options);
    this.table = database.queueTable(options.exporterId)!;
    const db = database.db;
    const t = `"${this.table}"`;
    this.sql = {
      insert: db.prepare(`INSERT INTO ${t} (payload, items, size_bytes, checksum, attempts, enqueued_at) VALUES (?, ?, ?, ?, ?, ?)`),
      exists: db.prepare(`SELECT 1 FROM ${t} WHERE id = ?`).pluck(),
      pageIds: db.prepare(`SELECT id FROM ${t} WHERE id > ? ORDER BY id LIMIT ?`).pluck(),
      row: db.prepare(`SELECT id, payload, items, size_bytes, checksum, attempts, enqueued_at FROM ${t} WHERE id = ?`),
      remove: db.prepare(`DELETE FROM ${t} WHERE id = ?`),
      attempt: db.prepare(`UPDATE ${t} SET attempts = attempts + 1 WHERE id = ?`),
      markTaken: db.prepare(`UPDATE ${t} SET attempts = 1 WHERE id = ? AND attempts = 0`),
      toDeadLetter: db.prepare(
        `INSERT INTO dead_letter (exporter_id, payload, items, size_bytes, checksum, attempts, enqueued_at, failed_at, reason)
         SELECT ?, payload, items, size_bytes, checksum, attempts, enqueued_at, ?, ? FROM ${t} WHERE id = ?`,
      ),
      insertDeadLetter: db.prepare(
        `INSERT INTO dead_letter (exporter_id, payload, items, size_bytes, checksum, attempts, enqueued_at, failed_at, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      totals: db.prepare(`SELECT count(*) AS n, coalesce(sum(items), 0) AS items, coalesce(sum(size_bytes), 0) AS bytes, coalesce(max(id), 0) AS maxId FROM ${t}`),
      deadLetterCount: db.prepare('SELECT count(*) FROM dead_letter WHERE exporter_id = ?').pluck(),
      deadLetterBytes: db.prepare('SELECT coalesce(sum(size_bytes), 0) FROM dead_letter WHERE exporter_id = ?').pluck(),
      oldestEnqueued: db.prepare(`SELECT min(enqueued_at) FROM ${t}`).pluck(),
      oldestDeadLetters: db.prepare('SELECT id, items, size_bytes FROM dead_letter WHERE exporter_id = ? ORDER BY id'),
      evictDeadLetters: db.prepare('DELETE FROM dead_letter WHERE exporter_id = ? AND id <= ?'),
    };
    const totals = this.sql.totals.get() as { n: number; items: number; bytes: number; maxId: number };
    this.maxId = totals.maxId;
    this.redeliveryUpTo = totals.maxId;
    this.gate.preload(options.sizer === 'requests' ? totals.n : options.sizer === 'items' ? totals.items : totals.bytes);
    this.deadLetters = this.sql.deadLetterCount.get(options.exporterId) as number;
    this.spillTimer = setInterval(() => {
      this.spillSoon('age');
      this.retryDeletes();
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
    const corrupt = database.takeCorruptAtOpen(options.exporterId);
    if (corrupt > 0) {
      for (let i = 0; i < corrupt; i++) options.onCorrupt?.();
      this.logger.warn('records left in the stage log failed their integrity check; moved to the dead-letter store (QUEUE_CORRUPT_RECORD)', { exporter: options.exporterId, records: corrupt });
    }
  }

  /** Open the exporter's queue in `directory` (shared connection); throws a clear start error. */
  static open(options: SqliteQueueOptions): SqliteQueue {
    const logger = options.logger ?? silentLogger;
    const database = acquireDatabase(options.directory, options.fsync, (message) => logger.warn(message, { exporter: options.exporterId }), options.lockTimeoutMs);
    try {
      return new SqliteQueue(database, options);
    } catch (err) {
      void releaseDatabase(database);
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
    return this.redeliveryUpTo;
  }

  async enqueue(request: EnqueueRequest): Promise<EnqueueOutcome> {
    if (this.closed) throw closedError();
    const units = sizeOf(this.options.sizer, request);
    if (!(await this.gate.reserve(units, request.signal))) return 'dropped';
    const payload = Buffer.from(request.bytes.buffer, request.bytes.byteOffset, request.bytes.byteLength);
    const checksum = crc32(payload);
    const enqueuedAt = Date.now();
    if (this.database.canStage(this.options.exporterId, payload.byteLength)) {
      try {
        return await this.enqueueStaged(payload, request.items, checksum, enqueuedAt);
      } catch (err) {
        // No new segment to be had, or a write error: the table is the way still open.
        this.logger.warn('stage log write failed; storing the request in the queue table', { exporter: this.options.exporterId, error: (err as Error).message });
      }
    }
    let id: number;
    try {
      id = await this.database.write(() => Number(this.sql.insert.run(payload, request.items, payload.byteLength, checksum, 0, enqueuedAt).lastInsertRowid), { bytes: payload.byteLength });
    } catch (err) {
      throw this.writeFailed(err, units);
    }
    if (id > this.maxId) this.maxId = id;
    this.handOff({ id, payload, items: request.items, size_bytes: payload.byteLength, checksum, attempts: 0, enqueued_at: enqueuedAt, trusted: true });
    this.takers.resolveOne();
    return 'committed';
  }

  /** The fast path: the bytes go to the stage log, durably, and wait in memory for a consumer. */
  private async enqueueStaged(payload: Buffer, items: number, checksum: number, enqueuedAt: number): Promise<EnqueueOutcome> {
    const at = await this.database.stage({ exporterId: this.options.exporterId, items, checksum, enqueuedAt, payload });
    // Closed meanwhile: the record is durable in the stage, which the next start folds in.
    if (this.closed) return 'committed';
    this.staged.add({ payload, items, checksum, enqueuedAt, at });
    this.takers.resolveOne();
    if (this.database.stageFull) this.spillSoon('full');
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
            ? this.database.stageFull
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
              const id = Number(this.sql.insert.run(s.payload, s.items, s.payload.byteLength, s.checksum, s.spilledFrom === 'held' ? Math.max(1, s.attempts) : s.attempts, s.enqueuedAt).lastInsertRowid);
              // Before the commit: a crash after it finds the row and folds no second copy.
              this.database.markSpilled(s.at, id);
              return id;
            });
            tried.push(...ids);
            // From the commit on, the cursor could reach these rows; workers have them already.
            batch.forEach((s, i) => s.spilledFrom === 'held' && this.skipRows.add(ids![i]!));
            return ids;
          },
          { bytes: batch.reduce((n, s) => n + s.payload.byteLength, 0) },
        );
      } catch (err) {
        const committed = ids !== undefined && this.rowExists(ids[0]!);
        for (const id of tried) if (!committed || !ids!.includes(id)) this.skipRows.delete(id);
        if (!committed) {
          this.staged.abortSpill(batch);
          throw err;
        }
        // Committed, only its fsync failed: the rows serve from now on, and the stage keeps its
        // copy (not released) so a power cut loses nothing.
        this.spilled(batch, ids!, false);
        throw err;
      }
      for (const id of tried) if (!ids!.includes(id)) this.skipRows.delete(id);
      this.spilled(batch, ids!, true);
    }
  }

  /** Spilled: ready ones are handed out through the table now; held ones keep their staged id. */
  private spilled(batch: Staged[], ids: number[], durable: boolean): void {
    batch.forEach((s, i) => {
      const rowId = ids[i]!;
      if (rowId > this.maxId) this.maxId = rowId;
      this.staged.delete(s.id);
      if (durable) this.database.unstage(s.at);
      if (s.spilledFrom !== 'held') return this.takers.resolveOne();
      const settled = s.settledWhileSpilling;
      if (!settled) return void this.heldRows.set(s.id, rowId);
      // Its worker finished with it while it was being moved: finish here.
      const done = settled.deadLetterReason === undefined ? this.deleteRow(rowId) : this.moveToDeadLetter(rowId, settled.deadLetterReason);
      done.then(
        () => this.skipRows.delete(rowId),
        (err: Error) => this.logger.warn('could not settle a request moved to the queue table; it is delivered again at the next start', { exporter: this.options.exporterId, error: err.message }),
      );
    });
  }

  /** Not durable: a delete lost to a power cut redelivers the request (a duplicate, never a loss). */
  private deleteRow(rowId: number): Promise<unknown> {
    return this.database.write(() => this.sql.remove.run(rowId), { durable: false });
  }

  /**
   * Delete the row of a delivered request. On a full disk (the delete needs room in the WAL), the
   * spare file gives its space back and the delete runs again; if that still fails, the row is
   * parked and deleted with the others in one write once there is room (`retryDeletes`). Never
   * throws: the request was delivered, the queue moves on (the gauge with it); only a crash before
   * the delete would send it again.
   */
  private async deleteDelivered(rowId: number): Promise<void> {
    try {
      await this.deleteRow(rowId);
      return;
    } catch (err) {
      if (isDiskFull(err) && this.database.reserve?.release()) {
        this.logger.warn('queue disk full: freed the spare file to delete delivered requests', { exporter: this.options.exporterId, spare: this.database.reserve.path });
        try {
          await this.deleteRow(rowId);
          return;
        } catch {
          // parked below
        }
      }
      if (this.pendingDeletes.size === 0) this.logger.warn('could not delete delivered requests from the queue; retrying', { exporter: this.options.exporterId, error: (err as Error).message });
      this.pendingDeletes.add(rowId);
    }
  }

  /** Delete the parked rows (see `deleteDelivered`), all in one write. */
  private retryDeletes(): void {
    if (this.pendingDeletes.size === 0 || this.retryingDeletes || this.closed) return;
    const ids = [...this.pendingDeletes];
    this.retryingDeletes = true;
    this.database
      .write(() => {
        for (const id of ids) this.sql.remove.run(id);
      }, { durable: false })
      .then(
        () => {
          for (const id of ids) {
            this.pendingDeletes.delete(id);
            this.skipRows.delete(id);
          }
          this.logger.info('deleted the delivered requests parked while the disk was full', { exporter: this.options.exporterId, requests: ids.length });
        },
        () => {
          if (this.database.reserve?.held) this.database.reserve.release();
        },
      )
      .finally(() => (this.retryingDeletes = false));
  }

  private rowExists(id: number): boolean {
    try {
      return this.sql.exists.get(id) !== undefined;
    } catch {
      return false;
    }
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
      if (this.buffer.length === 0 && this.cursor < this.maxId) this.readPage();
      const row = this.buffer.shift();
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
        redelivery: row.id <= this.redeliveryUpTo && row.attempts > 0,
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
    this.database.markTaken(s.at);
    return request;
  }

  /**
   * Store attempts = 1 for a row handed out, so that after a crash its delivery counts as the
   * redelivery it may be (gateway_exporter_redelivered_log_records_total). Not durable and not
   * awaited: a mark lost only under-counts, and costs no delivery.
   */
  private markTaken(rowId: number): boolean {
    this.database.write(() => this.sql.markTaken.run(rowId), { durable: false }).catch(() => {});
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
        await this.deleteDelivered(rowId);
        if (!this.pendingDeletes.has(rowId)) this.skipRows.delete(rowId);
      } else {
        // Staged: nothing in the table to delete, only stage space to free.
        const s = this.staged.get(id);
        if (s?.state === 'spilling') s.settledWhileSpilling = {};
        else if (s) {
          this.staged.delete(id);
          this.database.unstage(s.at);
        }
      }
      this.gate.release(entry.units);
      return this.maybeReclaim();
    }
    await this.deleteDelivered(id);
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
    await this.database.write(() => this.sql.attempt.run(rowId), { durable: false });
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
      this.skipRows.delete(rowId);
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
    const evicted = await this.database.write(() => {
      this.sql.insertDeadLetter.run(this.options.exporterId, s.payload, s.items, s.payload.byteLength, s.checksum, s.attempts, s.enqueuedAt, Date.now(), reason);
      return this.evictDeadLetters();
    });
    this.staged.delete(id);
    this.database.unstage(s.at);
    this.deadLettered(evicted);
  }

  async deadLetterNew(bytes: Uint8Array, items: number, reason: string): Promise<void> {
    if (this.closed) throw closedError();
    const payload = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const now = Date.now();
    const evicted = await this.database.write(() => {
      this.sql.insertDeadLetter.run(this.options.exporterId, payload, items, payload.byteLength, crc32(payload), 0, now, now, reason);
      return this.evictDeadLetters();
    });
    this.deadLettered(evicted);
  }

  size(): number {
    return this.gate.size();
  }

  deadLetterSize(): number {
    return this.deadLetters;
  }

  async listDeadLetters(opts: { limit: number; after?: number }): Promise<DeadLetterEntry[]> {
    return listDeadLetterPage(this.database.db, this.options.exporterId, opts);
  }

  /**
   * The rows get new ids past every stored one, so the read cursor reaches them after what is
   * queued now; the size counts them even past capacity (an operator asked for it), and waiting
   * workers are woken.
   */
  async replayDeadLetters(sel: DeadLetterSelection): Promise<{ requests: number; records: number }> {
    if (this.closed) throw closedError();
    const db = this.database.db;
    const moved = await this.database.write(() => db.transaction(() => moveDeadLettersToQueue(db, this.options.exporterId, this.table, sel))());
    if (moved.requests === 0) return { requests: 0, records: 0 };
    this.deadLetters -= moved.requests;
    if (moved.maxRowId > this.maxId) this.maxId = moved.maxRowId;
    this.gate.preload(this.options.sizer === 'requests' ? moved.requests : this.options.sizer === 'items' ? moved.records : moved.bytes);
    this.takers.resolveAll();
    return { requests: moved.requests, records: moved.records };
  }

  async deleteDeadLetters(sel: DeadLetterSelection): Promise<{ requests: number; records: number }> {
    const db = this.database.db;
    const deleted = await this.database.write(() => db.transaction(() => deleteDeadLetterRows(db, this.options.exporterId, sel))());
    this.deadLetters -= deleted.requests;
    if (deleted.requests > 0) await this.maybeReclaim();
    return deleted;
  }

  oldestEnqueuedAtMs(): number | undefined {
    if (this.gate.size() === 0) return undefined;
    const staged = this.staged.enqueuedBefore(Infinity, 1)[0]?.enqueuedAt;
    let row: number | null = null;
    try {
      row = this.sql.oldestEnqueued.get() as number | null;
    } catch {
      // Unreadable index: the staged requests still give an answer.
    }
    if (row === null) return staged;
    return staged === undefined ? row : Math.min(row, staged);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.gate.close();
    this.takers.resolveAll();
    this.buffer = [];
    clearInterval(this.spillTimer);
    // Everything staged goes into the table, so a stopped gateway leaves only the database.
    await this.spilling;
    try {
      await this.spill('close');
    } catch (err) {
      this.logger.warn('staged requests stay in the stage log; the next start delivers them', { exporter: this.options.exporterId, error: (err as Error).message });
    }
    if (this.pendingDeletes.size > 0) {
      const ids = [...this.pendingDeletes];
      await this.database.write(() => ids.forEach((id) => this.sql.remove.run(id)), { durable: false }).catch((err: Error) =>
        this.logger.warn('delivered requests whose delete failed stay stored; the next start sends them again', { exporter: this.options.exporterId, requests: ids.length, error: err.message }),
      );
    }
    await releaseDatabase(this.database);
  }

  /**
   * Puts a just-committed row straight into the read buffer when it is the very next one the cursor
   * would read, so a waiting worker takes it without reading the blob back from SQLite (~8 % of
   * the persistent path's CPU, BENCHMARKS.md). The row stays stored until ack exactly as a row read
   * back would; only the read is saved. Bounded like a page, so a backlog still costs no memory.
   */
  private handOff(row: Row): void {
    if (this.closed || row.id !== this.cursor + 1 || this.buffer.length >= READ_PAGE_ROWS) return;
    this.buffer.push(row);
    this.cursor = row.id;
  }

  private readPage(): void {
    let ids: number[];
    try {
      ids = this.sql.pageIds.all(this.cursor, READ_PAGE_ROWS) as number[];
    } catch (err) {
      // The index itself is unreadable: nothing safe to hand out. Log and wait for new rows.
      this.logger.error('queue index unreadable; skipping to the newest row', { exporter: this.options.exporterId, error: (err as Error).message });
      this.cursor = this.maxId;
      return;
    }
    if (ids.length === 0) {
      this.cursor = this.maxId;
      return;
    }
    for (const id of ids) {
      this.cursor = id;
      if (this.skipRows.has(id)) continue;
      try {
        const row = this.sql.row.get(id) as Row | undefined;
        if (row) this.buffer.push(row);
      } catch (err) {
        this.dropUnreadable(id, (err as Error).message);
      }
    }
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
      this.sql.remove.run(id);
    } catch {
      // The page is beyond repair; the cursor has moved past it, which is all that matters.
    }
    this.resyncSize();
  }

  private async moveToDeadLetter(id: number, reason: string): Promise<void> {
    const evicted = await this.database.write(() => {
      this.sql.toDeadLetter.run(this.options.exporterId, Date.now(), reason, id);
      this.sql.remove.run(id);
      return this.evictDeadLetters();
    });
    this.deadLettered(evicted);
  }

  /**
   * Inside the write that added a dead letter: past `deadLetterMaxBytes`, delete this exporter's
   * oldest dead letters until the rest fits (the newest, just added, always stays).
   */
  private evictDeadLetters(): { requests: number; records: number } {
    const max = this.options.deadLetterMaxBytes ?? 0;
    const none = { requests: 0, records: 0 };
    if (max <= 0) return none;
    let excess = (this.sql.deadLetterBytes.get(this.options.exporterId) as number) - max;
    if (excess <= 0) return none;
    const evicted = { requests: 0, records: 0 };
    let upTo = 0;
    const rows = this.sql.oldestDeadLetters.all(this.options.exporterId) as { id: number; items: number; size_bytes: number }[];
    // The newest (last) row is the one just added: it stays even when it alone is over the bound.
    for (let i = 0; i < rows.length - 1 && excess > 0; i++) {
      const row = rows[i]!;
      upTo = row.id;
      excess -= row.size_bytes;
      evicted.requests++;
      evicted.records += row.items;
    }
    if (evicted.requests > 0) this.sql.evictDeadLetters.run(this.options.exporterId, upTo);
    return evicted;
  }

  private deadLettered(evicted: { requests: number; records: number }): void {
    this.deadLetters += 1 - evicted.requests;
    if (evicted.requests === 0) return;
    this.options.onDeadLetterEvicted?.(evicted.requests, evicted.records);
    this.logger.warn('dead-letter store full: removed its oldest entries to make room (sending_queue.dead_letter_max_bytes)', {
      exporter: this.options.exporterId,
      requests: evicted.requests,
      records: evicted.records,
    });
  }

  /** After removing a row whose sizes cannot be trusted, recount from the table. */
  private resyncSize(): void {
    try {
      const totals = this.sql.totals.get() as { n: number; items: number; bytes: number };
      const units = this.options.sizer === 'requests' ? totals.n : this.options.sizer === 'items' ? totals.items : totals.bytes;
      const excess = this.gate.size() - units;
      if (excess > 0) this.gate.release(excess);
    } catch {
      // Keep the old count: over-counting only refuses earlier, it loses nothing.
    }
  }

  /** When the queue drained, give space back; the last ack resolves after that. Never throws. */
  private async maybeReclaim(): Promise<void> {
    if (this.gate.size() > 0 || this.held.size > 0) return;
    try {
      const free = this.database.db.pragma('freelist_count', { simple: true }) as number;
      let walBytes = 0;
      try {
        walBytes = statSync(`${this.database.path}-wal`).size;
      } catch {
        // no WAL file: nothing to truncate
      }
      if (free >= RECLAIM_MIN_FREE_PAGES || walBytes >= RECLAIM_MIN_WAL_BYTES) await this.database.reclaimSpace();
    } catch (err) {
      this.logger.warn('could not give queue disk space back', { exporter: this.options.exporterId, error: (err as Error).message });
    }
  }
}

/** Why a stored row cannot be trusted, or undefined when it is sound. */
function checkRow(row: Row): string | undefined {
  if (!Buffer.isBuffer(row.payload)) return 'payload is not a blob';
  if (crc32(row.payload) !== row.checksum) return 'checksum mismatch';
  if (!Number.isInteger(row.items) || row.items < 0) return 'invalid item count';
  return undefined;
}
