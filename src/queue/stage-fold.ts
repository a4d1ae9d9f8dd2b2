import { basename } from 'node:path';
import type Database from 'better-sqlite3';
import { leftoverSegments, type AbsentSegment } from './stage-log.js';

/**
 * What the fold of a crashed run's stage log could not verify, for the exporter's queue to report
 * when it opens: a log line (file and offset), gateway_queue_corrupt_records_total, and the
 * dead-letter entry written here describing the lost range.
 */
export interface StageDamage {
  /** The exporter the damage is charged to (the nearest sound record's, else the first queue's). */
  exporterId: string;
  file: string;
  offset?: number;
  bytes?: number;
  /** Requests lost (from the records' indices; 1 when they cannot tell, e.g. a deleted segment). */
  requests: number;
  reason: string;
}

export interface FoldResult {
  /** Records written into the tables or the dead-letter store. */
  folded: number;
  /** Per exporter: records whose payload failed its checksum (dead-lettered). */
  corrupt: Map<string, number>;
  damage: StageDamage[];
}

/**
 * Move what a crashed run left in the stage into the queue tables, inside transactions (the
 * caller makes them durable before removing the stage):
 * - a live record becomes a row; one a worker had taken gets attempts = 1, so its delivery counts
 *   as a redelivery (it may have reached the backend before the crash);
 * - a SPILLED record whose row committed is skipped (it is in the table already);
 * - a record failing its checksum, a damaged range and a missing segment file become dead letters.
 */
export function foldStage(db: Database.Database, directory: string, queueTable: (exporterId: string) => string): FoldResult {
  const result: FoldResult = { folded: 0, corrupt: new Map(), damage: [] };
  const now = Date.now();
  const fallbackExporter = () => (db.prepare('SELECT exporter_id FROM queues ORDER BY rowid LIMIT 1').pluck().get() as string | undefined) ?? '';
  const deadLetter = db.prepare(
    'INSERT INTO dead_letter (exporter_id, payload, items, size_bytes, checksum, attempts, enqueued_at, failed_at, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const recordDamage = (d: Omit<StageDamage, 'exporterId'> & { exporterId?: string }) => {
    const damage = { ...d, exporterId: d.exporterId ?? fallbackExporter() };
    deadLetter.run(damage.exporterId, Buffer.alloc(0), 0, 0, 0, 0, now, now, damage.reason);
    result.damage.push(damage);
  };
  const missing: AbsentSegment[] = [];
  let missingRecords = 0;
  for (const segment of leftoverSegments(directory, (files, upTo) => {
    missing.push(...files);
    missingRecords = upTo;
  })) {
    db.transaction(() => {
      for (const r of segment.records) {
        const table = queueTable(r.exporterId);
        if (r.spilledTo !== undefined) {
          const row = db.prepare(`SELECT checksum, size_bytes FROM "${table}" WHERE id = ?`).get(r.spilledTo) as { checksum: number; size_bytes: number } | undefined;
          if (row && row.checksum === r.checksum && row.size_bytes === r.payload.byteLength) continue;
        }
        db.prepare(`INSERT INTO "${table}" (payload, items, size_bytes, checksum, attempts, enqueued_at) VALUES (?, ?, ?, ?, ?, ?)`).run(
          r.payload,
          r.items,
          r.payload.byteLength,
          r.checksum,
          r.taken || r.spilledTo !== undefined ? 1 : 0,
          r.enqueuedAt,
        );
        result.folded++;
      }
      for (const r of segment.corrupt) {
        deadLetter.run(r.exporterId, r.payload, r.items, r.payload.byteLength, r.checksum, 0, r.enqueuedAt, now, 'corrupt record: checksum mismatch (stage log)');
        result.corrupt.set(r.exporterId, (result.corrupt.get(r.exporterId) ?? 0) + 1);
        result.folded++;
      }
      for (const lost of segment.lost) {
        recordDamage({
          exporterId: lost.exporterId,
          file: segment.path,
          offset: lost.offset,
          bytes: lost.bytes,
          requests: lost.records,
          reason: `corrupt stage log: ${basename(segment.path)} bytes ${lost.offset}..${lost.offset + lost.bytes} could not be verified; ${lost.records} request(s) lost`,
        });
        result.folded++;
      }
    })();
  }
  if (missing.length > 0) {
    db.transaction(() => {
      // The sequence numbers tell how many records the files no longer there held, released ones of
      // reused segments included: an upper bound, charged to the first missing file.
      missing.forEach(({ path, unreadable }, i) => {
        const requests = i === 0 ? missingRecords : 1;
        const what = unreadable ? 'holds no readable record (overwritten?)' : 'is missing (deleted?)';
        recordDamage({ file: path, requests, reason: `stage log segment ${basename(path)} ${what}; up to ${requests} request(s) it held are lost` });
        result.folded++;
      });
    })();
  }
  return result;
}
