import type Database from 'better-sqlite3';
import { deadLetterPreview } from './dead-letter-preview.js';
import type { DeadLetterEntry, DeadLetterSelection } from './queue.js';

/**
 * The dead-letter store of one exporter, as its running SqliteQueue serves it to the admin API:
 * list a page, move a selection back into the exporter's table, delete a selection. Each move or
 * delete is one transaction, so a crash leaves every entry either in the table or in the store,
 * never in both or neither. Callers run these inside `QueueDatabase.write` (its group commit).
 */

interface DeadLetterRow {
  id: number;
  items: number;
  size_bytes: number;
  attempts: number;
  enqueued_at: number;
  failed_at: number;
  reason: string;
  payload: Buffer;
}

/** `id IN (…)` for a selection: JSON-encoded ids read through json_each, one statement for any count. */
function where(sel: DeadLetterSelection): { clause: string; args: unknown[] } {
  if ('all' in sel) return { clause: '', args: [] };
  return { clause: ' AND id IN (SELECT value FROM json_each(?))', args: [JSON.stringify(sel.ids)] };
}

export function listDeadLetterPage(db: Database.Database, exporterId: string, opts: { limit: number; after?: number }): DeadLetterEntry[] {
  const rows = db
    .prepare('SELECT id, items, size_bytes, attempts, enqueued_at, failed_at, reason, payload FROM dead_letter WHERE exporter_id = ? AND id > ? ORDER BY id LIMIT ?')
    .all(exporterId, opts.after ?? 0, opts.limit) as DeadLetterRow[];
  return rows.map((r) => ({
    id: r.id,
    reason: r.reason,
    records: r.items,
    bytes: r.size_bytes,
    attempts: r.attempts,
    enqueuedAtMs: r.enqueued_at,
    deadLetteredAtMs: r.failed_at,
    preview: deadLetterPreview(r.payload),
  }));
}

export interface MovedDeadLetters {
  requests: number;
  records: number;
  bytes: number;
  /** Highest id the moved rows got in the exporter's table (0 when none moved). */
  maxRowId: number;
}

/** Selected dead letters → the end of `table`, attempts reset, original enqueue time kept. Run in a transaction. */
export function moveDeadLettersToQueue(db: Database.Database, exporterId: string, table: string, sel: DeadLetterSelection): MovedDeadLetters {
  const w = where(sel);
  const counted = db
    .prepare(`SELECT count(*) AS n, coalesce(sum(items), 0) AS items, coalesce(sum(size_bytes), 0) AS bytes FROM dead_letter WHERE exporter_id = ?${w.clause}`)
    .get(exporterId, ...w.args) as { n: number; items: number; bytes: number };
  if (counted.n === 0) return { requests: 0, records: 0, bytes: 0, maxRowId: 0 };
  const inserted = db
    .prepare(
      `INSERT INTO "${table}" (payload, items, size_bytes, checksum, attempts, enqueued_at)
       SELECT payload, items, size_bytes, checksum, 0, enqueued_at FROM dead_letter WHERE exporter_id = ?${w.clause} ORDER BY id`,
    )
    .run(exporterId, ...w.args);
  db.prepare(`DELETE FROM dead_letter WHERE exporter_id = ?${w.clause}`).run(exporterId, ...w.args);
  return { requests: counted.n, records: counted.items, bytes: counted.bytes, maxRowId: Number(inserted.lastInsertRowid) };
}

/** Selected dead letters removed for good. Run in a transaction. */
export function deleteDeadLetterRows(db: Database.Database, exporterId: string, sel: DeadLetterSelection): { requests: number; records: number } {
  const w = where(sel);
  const counted = db
    .prepare(`SELECT count(*) AS n, coalesce(sum(items), 0) AS items FROM dead_letter WHERE exporter_id = ?${w.clause}`)
    .get(exporterId, ...w.args) as { n: number; items: number };
  if (counted.n > 0) db.prepare(`DELETE FROM dead_letter WHERE exporter_id = ?${w.clause}`).run(exporterId, ...w.args);
  return { requests: counted.n, records: counted.items };
}
