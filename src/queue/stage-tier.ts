import type { Logger } from '../telemetry/logger.js';
import type { QueueDatabase } from './database.js';
import type { DeadLetterMoves } from './dead-letter-moves.js';
import type { DeliveredDeletes } from './delivered-deletes.js';
import type { QueueTable } from './queue-table.js';
import { StagedRequests, type Staged } from './staged-requests.js';

/** Staged requests moved to the table per transaction (see `run`). */
const SPILL_BATCH = 64;
/**
 * Staged requests older than this move to the table even when the stage has room: a request the
 * backend has not taken by then is a backlog, and the table is where a backlog is read page by page,
 * counted by the `queue` command while the gateway runs, and not delivered again after a crash.
 */
export const STAGE_MAX_AGE_MS = 2_000;

export type SpillReason = 'close' | 'full' | 'age';

/**
 * The persistent queue's tiering (docs/architecture.md §8): a new request is written to the stage
 * log and waits in memory, under a negative id, for a worker; acking it only frees its stage space.
 * It moves into the queue table when the stage holds too much (oldest first), when it waits too
 * long, and at close. A staged request a worker holds keeps its staged id after the move:
 * `heldRows` maps it to its row, and the cursor passes over that row until the worker settles it.
 */
export class StageTier {
  /** Requests whose bytes are in the stage log (staged-requests.ts). */
  readonly staged = new StagedRequests();
  /** Staged requests moved to the table while a worker held them: their row, by staged id. */
  private readonly heldRows = new Map<number, number>();
  /** The spill in progress, if any (one at a time). */
  private spilling?: Promise<void>;

  constructor(
    private readonly parts: {
      exporterId: string;
      logger: Logger;
      database: QueueDatabase;
      rows: QueueTable;
      deletes: DeliveredDeletes;
      deadLetters: DeadLetterMoves;
      /** A request is ready for a worker: wake one. */
      wake: () => void;
      isClosed: () => boolean;
    },
  ) {}

  canStage(bytes: number): boolean {
    return this.parts.database.staging.canStage(this.parts.exporterId, bytes);
  }

  /** The fast path: the bytes go to the stage log, durably, and wait in memory for a worker. */
  async add(payload: Buffer, items: number, checksum: number, enqueuedAt: number): Promise<void> {
    const { database } = this.parts;
    const at = await database.staging.stage({ exporterId: this.parts.exporterId, items, checksum, enqueuedAt, payload });
    // Closed meanwhile: the record is durable in the stage, which the next start folds in.
    if (this.parts.isClosed()) return;
    this.staged.add({ payload, items, checksum, enqueuedAt, at });
    this.parts.wake();
    if (database.staging.full) this.soon('full');
  }

  /** The oldest staged request no worker holds, now held. */
  take(): Staged | undefined {
    const s = this.staged.takeReady();
    if (s) this.parts.database.staging.markTaken(s.at);
    return s;
  }

  /** Delivered: delete its row if it moved to the table meanwhile, else free its stage space. */
  async ack(id: number): Promise<void> {
    const { rows, deletes, database } = this.parts;
    const rowId = this.heldRows.get(id);
    if (rowId !== undefined) {
      this.heldRows.delete(id);
      await deletes.delete(rowId);
      if (!deletes.isParked(rowId)) rows.skipRows.delete(rowId);
      return;
    }
    const s = this.staged.get(id);
    if (s?.state === 'spilling') s.settledWhileSpilling = {};
    else if (s) {
      this.staged.delete(id);
      database.staging.unstage(s.at);
    }
  }

  /** A failed attempt: counted in memory, or the row it moved to, which the caller updates. */
  attempt(id: number): number | undefined {
    const rowId = this.heldRows.get(id);
    if (rowId !== undefined) return rowId;
    const s = this.staged.get(id);
    if (s) s.attempts++;
    return undefined;
  }

  async deadLetter(id: number, reason: string): Promise<void> {
    const rowId = this.heldRows.get(id);
    if (rowId !== undefined) {
      this.heldRows.delete(id);
      await this.parts.deadLetters.fromTable(rowId, reason);
      this.parts.rows.skipRows.delete(rowId);
      return;
    }
    const s = this.staged.get(id);
    if (!s) return;
    if (s.state === 'spilling') {
      s.settledWhileSpilling = { deadLetterReason: reason };
      return;
    }
    await this.parts.deadLetters.fromStage(s, reason);
    this.staged.delete(id);
  }

  /** Starts a spill unless one runs; its errors are logged (the requests stay staged). */
  soon(reason: 'full' | 'age'): void {
    if (this.spilling || this.parts.isClosed() || this.staged.size === 0) return;
    this.spilling = this.run(reason)
      .catch((err) => this.parts.logger.warn('could not move staged requests into the queue table', { exporter: this.parts.exporterId, error: (err as Error).message }))
      .finally(() => (this.spilling = undefined));
  }

  /** Everything staged goes into the table, so a stopped gateway leaves only the database. */
  async close(): Promise<void> {
    await this.spilling;
    try {
      await this.run('close');
    } catch (err) {
      this.parts.logger.warn('staged requests stay in the stage log; the next start delivers them', { exporter: this.parts.exporterId, error: (err as Error).message });
    }
  }

  /**
   * Move staged requests into the table (durably), oldest first, then free their stage space: when
   * the stage is over its bound, those waiting for a worker; those older than STAGE_MAX_AGE_MS,
   * and at close all, whether a worker holds them or not. A held one keeps its staged id: its ack
   * deletes the row, and the cursor passes over the row meanwhile.
   */
  private async run(reason: SpillReason): Promise<void> {
    const { database, rows } = this.parts;
    const staged = this.staged;
    // At close everything, taken once (there can be many with small requests).
    const everything = reason === 'close' ? staged.all() : [];
    for (let next = 0; ; next += SPILL_BATCH) {
      const batch =
        reason === 'close'
          ? everything.slice(next, next + SPILL_BATCH)
          : reason === 'full'
            ? database.staging.full
              ? staged.oldestReady(SPILL_BATCH)
              : []
            : staged.enqueuedBefore(Date.now() - STAGE_MAX_AGE_MS, SPILL_BATCH);
      if (batch.length === 0) return;
      const bytes = batch.reduce((n, s) => n + s.payload.byteLength, 0);
      // A backlog moved into SQLite takes disk space; on a nearly full disk it waits in the stage
      // (preallocated: no new space), so the space left serves acks and new requests. At close it
      // goes anyway: what does not fit stays in the stage for the next start.
      if (reason !== 'close' && database.reserve && !database.reserve.hasRoomFor(2 * bytes)) return;
      staged.startSpill(batch);
      // Every id the insert was given, also by a try SQLite rolled back (then reused later).
      const tried: number[] = [];
      let ids: number[] | undefined;
      try {
        await database.write(() => {
          ids = batch.map((s) => {
            // A held one may have reached the backend already: attempts >= 1 marks it so.
            const id = rows.insertSync(s.payload, s.items, s.checksum, s.spilledFrom === 'held' ? Math.max(1, s.attempts) : s.attempts, s.enqueuedAt);
            // Before the commit: a crash after it finds the row and folds no second copy.
            database.staging.markSpilled(s.at, id);
            return id;
          });
          tried.push(...ids);
          // From the commit on, the cursor could reach these rows; workers have them already.
          batch.forEach((s, i) => s.spilledFrom === 'held' && rows.skipRows.add(ids![i]!));
          return ids;
        }, { bytes });
      } catch (err) {
        const committed = ids !== undefined && rows.exists(ids[0]!);
        for (const id of tried) if (!committed || !ids!.includes(id)) rows.skipRows.delete(id);
        if (!committed) {
          staged.abortSpill(batch);
          throw err;
        }
        // Committed, only its fsync failed: the rows serve from now on, and the stage keeps its
        // copy (not released) so a power cut loses nothing.
        this.spilled(batch, ids!, false);
        throw err;
      }
      for (const id of tried) if (!ids!.includes(id)) rows.skipRows.delete(id);
      this.spilled(batch, ids!, true);
    }
  }

  /** Spilled: ready ones are handed out through the table now; held ones keep their staged id. */
  private spilled(batch: Staged[], ids: number[], durable: boolean): void {
    const { database, rows, deletes, deadLetters, logger, exporterId } = this.parts;
    const staged = this.staged;
    batch.forEach((s, i) => {
      const rowId = ids[i]!;
      rows.committed(rowId);
      staged.delete(s.id);
      if (durable) database.staging.unstage(s.at);
      if (s.spilledFrom !== 'held') return this.parts.wake();
      const settled = s.settledWhileSpilling;
      if (!settled) return void this.heldRows.set(s.id, rowId);
      // Its worker finished with it while it was being moved: finish here.
      const done = settled.deadLetterReason === undefined ? deletes.deleteRow(rowId) : deadLetters.fromTable(rowId, settled.deadLetterReason);
      done.then(
        () => rows.skipRows.delete(rowId),
        (err: Error) => logger.warn('could not settle a request moved to the queue table; it is delivered again at the next start', { exporter: exporterId, error: err.message }),
      );
    });
  }
}
