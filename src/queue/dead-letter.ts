import type { QueueDatabase } from './database.js';

/**
 * Offline views and moves over a queue database, for `make-otel-gateway queue ...`. They work on
 * the file directly, so they also work while the gateway is stopped (and, SQLite locking
 * permitting, while it runs).
 */

export interface QueueStats {
  exporterId: string;
  queuedRequests: number;
  queuedRecords: number;
  queuedBytes: number;
  deadLetterRequests: number;
  deadLetterRecords: number;
}

export interface DeadLetterRow {
  id: number;
  exporterId: string;
  records: number;
  bytes: number;
  attempts: number;
  enqueuedAtMs: number;
  failedAtMs: number;
  reason: string;
}

export function queueStats(database: QueueDatabase, exporterId: string): QueueStats {
  const table = database.queueTable(exporterId, false);
  const live = table
    ? (database.db.prepare(`SELECT count(*) AS n, coalesce(sum(items), 0) AS items, coalesce(sum(size_bytes), 0) AS bytes FROM "${table}"`).get() as { n: number; items: number; bytes: number })
    : { n: 0, items: 0, bytes: 0 };
  const dead = database.db.prepare('SELECT count(*) AS n, coalesce(sum(items), 0) AS items FROM dead_letter WHERE exporter_id = ?').get(exporterId) as { n: number; items: number };
  return { exporterId, queuedRequests: live.n, queuedRecords: live.items, queuedBytes: live.bytes, deadLetterRequests: dead.n, deadLetterRecords: dead.items };
}

export function listDeadLetters(database: QueueDatabase, exporterId: string): DeadLetterRow[] {
  const rows = database.db
    .prepare('SELECT id, exporter_id, items, size_bytes, attempts, enqueued_at, failed_at, reason FROM dead_letter WHERE exporter_id = ? ORDER BY id')
    .all(exporterId) as { id: number; exporter_id: string; items: number; size_bytes: number; attempts: number; enqueued_at: number; failed_at: number; reason: string }[];
  return rows.map((r) => ({
    id: r.id,
    exporterId: r.exporter_id,
    records: r.items,
    bytes: r.size_bytes,
    attempts: r.attempts,
    enqueuedAtMs: r.enqueued_at,
    failedAtMs: r.failed_at,
    reason: r.reason,
  }));
}

/**
 * Move an exporter's dead letters back to the end of its live queue, attempts reset, in one
 * transaction. They are sent at the next start (or the next read page of a running gateway).
 */
export function replayDeadLetters(database: QueueDatabase, exporterId: string): { requests: number; records: number } {
  const table = database.queueTable(exporterId)!;
  const db = database.db;
  return db.transaction(() => {
    const counted = db.prepare('SELECT count(*) AS n, coalesce(sum(items), 0) AS items FROM dead_letter WHERE exporter_id = ?').get(exporterId) as { n: number; items: number };
    db.prepare(
      `INSERT INTO "${table}" (payload, items, size_bytes, checksum, attempts, enqueued_at)
       SELECT payload, items, size_bytes, checksum, 0, enqueued_at FROM dead_letter WHERE exporter_id = ? ORDER BY id`,
    ).run(exporterId);
    db.prepare('DELETE FROM dead_letter WHERE exporter_id = ?').run(exporterId);
    return { requests: counted.n, records: counted.items };
  })();
}

export function purgeDeadLetters(database: QueueDatabase, exporterId: string): { requests: number; records: number } {
  const db = database.db;
  const result = db.transaction(() => {
    const counted = db.prepare('SELECT count(*) AS n, coalesce(sum(items), 0) AS items FROM dead_letter WHERE exporter_id = ?').get(exporterId) as { n: number; items: number };
    db.prepare('DELETE FROM dead_letter WHERE exporter_id = ?').run(exporterId);
    return { requests: counted.n, records: counted.items };
  })();
  database.reclaimSpaceNow();
  return result;
}
