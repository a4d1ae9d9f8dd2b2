import { crc32 } from 'node:zlib';
import type Database from 'better-sqlite3';
import type { Logger } from '../telemetry/logger.js';

/** Rows read per page when handing out requests: bounds memory, amortises queries. */
const READ_PAGE_ROWS = 32;

export interface Row {
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

export interface TableTotals {
  n: number;
  items: number;
  bytes: number;
  maxId: number;
}

/**
 * One owner's live-queue table (format in schema.ts) and the read cursor over it: rows are handed
 * out oldest first through the monotonic AUTOINCREMENT id, a page at a time, so start-up and
 * memory stay flat however long the backlog is (docs/architecture.md §8). Statements run in the
 * caller's transaction; this class only reads on its own.
 */
export class QueueTable {
  private readonly sql;
  private buffer: Row[] = [];
  /** Highest id handed out or skipped: rows above it are pending. */
  private cursor = 0;
  /** Highest committed id we know of. */
  private maxId: number;
  /** Rows up to this id were stored before we opened: delivering them may duplicate. */
  readonly redeliveryUpTo: number;
  /** Rows a worker holds already (a staged request spilled while held): the cursor passes over them. */
  readonly skipRows = new Set<number>();
  /** The totals read at open. */
  readonly atOpen: TableTotals;

  constructor(
    db: Database.Database,
    readonly name: string,
    private readonly logger: Logger,
    private readonly ownerId: string,
    /** A row SQLite could not read: it was deleted if possible; count it. */
    private readonly onUnreadable: (id: number, detail: string) => void,
  ) {
    const t = `"${name}"`;
    this.sql = {
      insert: db.prepare(`INSERT INTO ${t} (payload, items, size_bytes, checksum, attempts, enqueued_at) VALUES (?, ?, ?, ?, ?, ?)`),
      exists: db.prepare(`SELECT 1 FROM ${t} WHERE id = ?`).pluck(),
      pageIds: db.prepare(`SELECT id FROM ${t} WHERE id > ? ORDER BY id LIMIT ?`).pluck(),
      row: db.prepare(`SELECT id, payload, items, size_bytes, checksum, attempts, enqueued_at FROM ${t} WHERE id = ?`),
      remove: db.prepare(`DELETE FROM ${t} WHERE id = ?`),
      attempt: db.prepare(`UPDATE ${t} SET attempts = attempts + 1 WHERE id = ?`),
      markTaken: db.prepare(`UPDATE ${t} SET attempts = 1 WHERE id = ? AND attempts = 0`),
      oldest: db.prepare(`SELECT enqueued_at FROM ${t} ORDER BY id LIMIT 1`).pluck(),
      maxId: db.prepare(`SELECT coalesce(max(id), 0) FROM ${t}`).pluck(),
      totals: db.prepare(`SELECT count(*) AS n, coalesce(sum(items), 0) AS items, coalesce(sum(size_bytes), 0) AS bytes, coalesce(max(id), 0) AS maxId FROM ${t}`),
    };
    this.atOpen = this.totals();
    this.maxId = this.atOpen.maxId;
    this.redeliveryUpTo = this.atOpen.maxId;
  }

  totals(): TableTotals {
    return this.sql.totals.get() as TableTotals;
  }

  /** In the caller's transaction; returns the new row's id. */
  insertSync(payload: Buffer, items: number, checksum: number, attempts: number, enqueuedAt: number): number {
    return Number(this.sql.insert.run(payload, items, payload.byteLength, checksum, attempts, enqueuedAt).lastInsertRowid);
  }

  removeSync(id: number): void {
    this.sql.remove.run(id);
  }

  attemptSync(id: number): void {
    this.sql.attempt.run(id);
  }

  /** Store attempts = 1 for a row handed out (see SqliteQueue, markTaken). */
  markTakenSync(id: number): void {
    this.sql.markTaken.run(id);
  }

  exists(id: number): boolean {
    try {
      return this.sql.exists.get(id) !== undefined;
    } catch {
      return false;
    }
  }

  /** The first row's enqueue time, or undefined when the table is empty (or unreadable). */
  oldestEnqueuedAt(): number | undefined {
    try {
      return this.sql.oldest.get() as number | undefined;
    } catch {
      return undefined;
    }
  }

  /** A row with this id was committed (the cursor will read it). */
  committed(id: number): void {
    if (id > this.maxId) this.maxId = id;
  }

  /** Rows were added by a statement that does not say their ids (a replay): read the highest. */
  refreshMaxId(): void {
    this.committed(this.sql.maxId.get() as number);
  }

  /** The next pending row, reading a page when the buffer is empty; undefined when none is. */
  next(): Row | undefined {
    if (this.buffer.length === 0 && this.cursor < this.maxId) this.readPage();
    return this.buffer.shift();
  }

  /**
   * Puts a just-committed row straight into the read buffer when it is the very next one the cursor
   * would read, so a waiting worker takes it without reading the blob back from SQLite (~8 % of
   * the persistent path's CPU, BENCHMARKS.md). The row stays stored until ack exactly as a row read
   * back would; only the read is saved. Bounded like a page, so a backlog still costs no memory.
   */
  handOff(row: Row): void {
    if (row.id !== this.cursor + 1 || this.buffer.length >= READ_PAGE_ROWS) return;
    this.buffer.push(row);
    this.cursor = row.id;
  }

  /** At close: nothing more is handed out. */
  clear(): void {
    this.buffer = [];
  }

  private readPage(): void {
    let ids: number[];
    try {
      ids = this.sql.pageIds.all(this.cursor, READ_PAGE_ROWS) as number[];
    } catch (err) {
      // The index itself is unreadable: nothing safe to hand out. Log and wait for new rows.
      this.logger.error('queue index unreadable; skipping to the newest row', { exporter: this.ownerId, error: (err as Error).message });
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
        this.onUnreadable(id, (err as Error).message);
      }
    }
  }
}

/** Why a stored row cannot be trusted, or undefined when it is sound. */
export function checkRow(row: Row): string | undefined {
  if (!Buffer.isBuffer(row.payload)) return 'payload is not a blob';
  if (crc32(row.payload) !== row.checksum) return 'checksum mismatch';
  if (!Number.isInteger(row.items) || row.items < 0) return 'invalid item count';
  return undefined;
}
