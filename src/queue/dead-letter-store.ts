import type Database from 'better-sqlite3';
import type { Logger } from '../telemetry/logger.js';
import { silentLogger } from '../telemetry/logger.js';
import { previewOf } from './preview.js';
import type { DeadLetterCount, DeadLetterEntry, DeadLetterSelection } from './queue.js';

/**
 * One owner's part of the `dead_letter` table (format in schema.ts): the persistent queue moves
 * requests here, the admin API and the `queue` command list, replay and delete them. Every write
 * runs inside the caller's transaction (the queue's group commit, or the command's own), so a
 * move is never half done. Keeps the owner's count so the gauge costs no query.
 */

/** Sizes of what a selection held, for the queue's capacity accounting after a replay. */
export interface MovedTotals extends DeadLetterCount {
  bytes: number;
}

export interface DeadLetterStoreOptions {
  /** Bytes this owner's dead letters may hold; past it the oldest go (0 or absent: no bound). */
  maxBytes?: number;
  /** Dead letters removed to make room: requests and their log records. */
  onEvicted?: (requests: number, records: number) => void;
  logger?: Logger;
}

interface EntryRow {
  id: number;
  items: number;
  size_bytes: number;
  attempts: number;
  enqueued_at: number;
  failed_at: number;
  reason: string;
  payload: Buffer;
}

const COLUMNS = 'exporter_id, payload, items, size_bytes, checksum, attempts, enqueued_at, failed_at, reason';
/** `ids` as one bound JSON array: any number of ids in one statement. */
const SELECTED = '(? = 1 OR id IN (SELECT value FROM json_each(?)))';

export class DeadLetterStore {
  private readonly sql;
  private readonly logger: Logger;
  private counted: number;

  constructor(
    private readonly db: Database.Database,
    readonly ownerId: string,
    private readonly options: DeadLetterStoreOptions = {},
  ) {
    this.logger = options.logger ?? silentLogger;
    this.sql = {
      insert: db.prepare(`INSERT INTO dead_letter (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      count: db.prepare('SELECT count(*) AS requests, coalesce(sum(items), 0) AS records FROM dead_letter WHERE exporter_id = ?'),
      bytes: db.prepare('SELECT coalesce(sum(size_bytes), 0) FROM dead_letter WHERE exporter_id = ?').pluck(),
      oldest: db.prepare('SELECT id, items, size_bytes FROM dead_letter WHERE exporter_id = ? ORDER BY id'),
      evict: db.prepare('DELETE FROM dead_letter WHERE exporter_id = ? AND id <= ?'),
      page: db.prepare('SELECT id, items, size_bytes, attempts, enqueued_at, failed_at, reason, payload FROM dead_letter WHERE exporter_id = ? AND id > ? ORDER BY id LIMIT ?'),
      selected: db.prepare(`SELECT count(*) AS requests, coalesce(sum(items), 0) AS records, coalesce(sum(size_bytes), 0) AS bytes FROM dead_letter WHERE exporter_id = ? AND ${SELECTED}`),
      remove: db.prepare(`DELETE FROM dead_letter WHERE exporter_id = ? AND ${SELECTED}`),
    };
    this.counted = (this.sql.count.get(ownerId) as DeadLetterCount).requests;
  }

  /** Requests stored for this owner. */
  get size(): number {
    return this.counted;
  }

  /** Requests and records stored for this owner, counted now (another connection may have moved some). */
  totals(): DeadLetterCount {
    return this.sql.count.get(this.ownerId) as DeadLetterCount;
  }

  /** In the caller's transaction: store a request that failed for good, then keep the bound. */
  addSync(entry: { payload: Buffer; items: number; checksum: number; attempts: number; enqueuedAt: number; reason: string }): DeadLetterCount {
    this.sql.insert.run(this.ownerId, entry.payload, entry.items, entry.payload.byteLength, entry.checksum, entry.attempts, entry.enqueuedAt, Date.now(), entry.reason);
    return this.evictSync();
  }

  /** In the caller's transaction: move row `rowId` of `table` here (the caller deletes the row). */
  addFromTableSync(table: string, rowId: number, reason: string): DeadLetterCount {
    this.db
      .prepare(`INSERT INTO dead_letter (${COLUMNS}) SELECT ?, payload, items, size_bytes, checksum, attempts, enqueued_at, ?, ? FROM "${table}" WHERE id = ?`)
      .run(this.ownerId, Date.now(), reason, rowId);
    return this.evictSync();
  }

  /** After the transaction of an add committed: count it, report what the bound removed. */
  added(evicted: DeadLetterCount): void {
    this.counted += 1 - evicted.requests;
    if (evicted.requests === 0) return;
    this.options.onEvicted?.(evicted.requests, evicted.records);
    this.logger.warn('dead-letter store full: removed its oldest entries to make room (sending_queue.dead_letter_max_bytes)', {
      exporter: this.ownerId,
      requests: evicted.requests,
      records: evicted.records,
    });
  }

  /** Ordered by id, those with id > `after`, at most `limit`. */
  list(opts: { limit: number; after?: number }): DeadLetterEntry[] {
    const rows = this.sql.page.all(this.ownerId, opts.after ?? 0, Math.max(0, Math.floor(opts.limit))) as EntryRow[];
    return rows.map((r) => ({
      id: r.id,
      reason: r.reason,
      records: r.items,
      bytes: r.size_bytes,
      attempts: r.attempts,
      enqueuedAtMs: r.enqueued_at,
      deadLetteredAtMs: r.failed_at,
      preview: Buffer.isBuffer(r.payload) ? previewOf(r.payload) : undefined,
    }));
  }

  /**
   * In the caller's transaction: move the selected dead letters to the end of `table` (the owner's
   * live queue), attempts reset, oldest first. Returns what moved, bytes included.
   */
  replayIntoSync(table: string, sel: DeadLetterSelection): MovedTotals {
    const args = selectionArgs(sel);
    const moved = this.sql.selected.get(this.ownerId, ...args) as MovedTotals;
    if (moved.requests === 0) return moved;
    this.db
      .prepare(
        `INSERT INTO "${table}" (payload, items, size_bytes, checksum, attempts, enqueued_at)
         SELECT payload, items, size_bytes, checksum, 0, enqueued_at FROM dead_letter WHERE exporter_id = ? AND ${SELECTED} ORDER BY id`,
      )
      .run(this.ownerId, ...args);
    this.sql.remove.run(this.ownerId, ...args);
    return moved;
  }

  /** In the caller's transaction: delete the selected dead letters for good. */
  deleteSync(sel: DeadLetterSelection): DeadLetterCount {
    const args = selectionArgs(sel);
    const removed = this.sql.selected.get(this.ownerId, ...args) as MovedTotals;
    if (removed.requests > 0) this.sql.remove.run(this.ownerId, ...args);
    return { requests: removed.requests, records: removed.records };
  }

  /** After a replay or delete committed. */
  removed(count: DeadLetterCount): void {
    this.counted = Math.max(0, this.counted - count.requests);
  }

  /**
   * Past `maxBytes`, delete this owner's oldest dead letters until the rest fits (the newest, just
   * added, always stays, even when it alone is over the bound).
   */
  private evictSync(): DeadLetterCount {
    const max = this.options.maxBytes ?? 0;
    const evicted = { requests: 0, records: 0 };
    if (max <= 0) return evicted;
    let excess = (this.sql.bytes.get(this.ownerId) as number) - max;
    if (excess <= 0) return evicted;
    let upTo = 0;
    const rows = this.sql.oldest.all(this.ownerId) as { id: number; items: number; size_bytes: number }[];
    for (let i = 0; i < rows.length - 1 && excess > 0; i++) {
      const row = rows[i]!;
      upTo = row.id;
      excess -= row.size_bytes;
      evicted.requests++;
      evicted.records += row.items;
    }
    if (evicted.requests > 0) this.sql.evict.run(this.ownerId, upTo);
    return evicted;
  }
}

function selectionArgs(sel: DeadLetterSelection): [number, string] {
  return 'all' in sel ? [1, '[]'] : [0, JSON.stringify(sel.ids.filter((id) => Number.isInteger(id)))];
}
