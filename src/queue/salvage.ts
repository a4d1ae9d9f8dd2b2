import { existsSync, renameSync } from 'node:fs';
import { basename } from 'node:path';
import { crc32 } from 'node:zlib';
import Database from 'better-sqlite3';

/**
 * A queue database SQLite calls malformed (SQLITE_CORRUPT) or not a database (SQLITE_NOTADB) must
 * not keep the gateway from starting, nor be silently replaced: it is moved aside (with its WAL),
 * its name logged, and every row SQLite can still read is copied into a fresh database, as
 * SQLite's `.recover` would (better-sqlite3 does not ship the recover extension, so this reads
 * row by row, stepping over what fails). Queue rows are checked against their CRC-32 on the way:
 * a row that fails it becomes a dead letter, like any corrupt record.
 */

export interface SalvageResult {
  /** Where the damaged file now is. */
  movedTo: string;
  /** Queue requests copied into the new database, per exporter. */
  requests: Map<string, number>;
  deadLetters: number;
  /** Places the old file could not be read (a table, or a range of row ids): each may have held requests. */
  unreadable: string[];
}

/** True for the errors that mean the file itself is damaged. */
export function isCorruption(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? '';
  return code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB';
}

/** Move `path` (and its -wal, -shm) aside; returns the new name. */
export function moveAside(path: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const aside = `${path}.corrupt-${stamp}`;
  renameSync(path, aside);
  for (const suffix of ['-wal', '-shm']) if (existsSync(path + suffix)) renameSync(path + suffix, aside + suffix);
  return aside;
}

/** Copy what can be read from the damaged file at `aside` into `target` (freshly migrated). */
export function salvageInto(aside: string, target: Database.Database, queueTable: (exporterId: string) => string): SalvageResult {
  const result: SalvageResult = { movedTo: aside, requests: new Map(), deadLetters: 0, unreadable: [] };
  let old: Database.Database;
  try {
    old = new Database(aside, { readonly: true, fileMustExist: true });
    old.prepare('SELECT count(*) FROM sqlite_master').get();
  } catch (err) {
    result.unreadable.push(`the whole file (${(err as Error).message})`);
    return result;
  }
  try {
    const queues = readRows(old, 'queues', ['exporter_id', 'table_name'], result) as { exporter_id: string; table_name: string }[];
    const now = Date.now();
    const insertDeadLetter = target.prepare(
      'INSERT INTO dead_letter (exporter_id, payload, items, size_bytes, checksum, attempts, enqueued_at, failed_at, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    for (const q of queues) {
      const table = queueTable(q.exporter_id);
      const insert = target.prepare(`INSERT INTO "${table}" (payload, items, size_bytes, checksum, attempts, enqueued_at) VALUES (?, ?, ?, ?, ?, ?)`);
      const rows = readRows(old, q.table_name, ['payload', 'items', 'size_bytes', 'checksum', 'attempts', 'enqueued_at'], result);
      target.transaction(() => {
        for (const r of rows) {
          const sound = Buffer.isBuffer(r.payload) && crc32(r.payload) === r.checksum && Number.isInteger(r.items);
          if (sound) {
            insert.run(r.payload, r.items, r.size_bytes, r.checksum, r.attempts ?? 0, r.enqueued_at ?? now);
            result.requests.set(q.exporter_id, (result.requests.get(q.exporter_id) ?? 0) + 1);
          } else {
            const payload = Buffer.isBuffer(r.payload) ? r.payload : Buffer.alloc(0);
            insertDeadLetter.run(q.exporter_id, payload, Number(r.items) || 0, payload.byteLength, Number(r.checksum) || 0, 0, Number(r.enqueued_at) || now, now, 'corrupt record: checksum mismatch (salvaged from a damaged database)');
            result.deadLetters++;
          }
        }
      })();
    }
    const columns = ['exporter_id', 'payload', 'items', 'size_bytes', 'checksum', 'attempts', 'enqueued_at', 'failed_at', 'reason'];
    const deadLetters = readRows(old, 'dead_letter', columns, result);
    target.transaction(() => {
      for (const r of deadLetters) {
        insertDeadLetter.run(...columns.map((c) => r[c] ?? (c === 'payload' ? Buffer.alloc(0) : c === 'reason' ? 'salvaged' : 0)));
        result.deadLetters++;
      }
    })();
    const kv = readRows(old, 'kv', ['component', 'key', 'value'], result);
    const putKv = target.prepare('INSERT OR REPLACE INTO kv (component, key, value) VALUES (?, ?, ?)');
    target.transaction(() => {
      for (const r of kv) putKv.run(r.component, r.key, r.value);
    })();
  } finally {
    old.close();
  }
  return result;
}

/**
 * Every row of `table` SQLite can read, in rowid order. A read that fails skips ahead, by a
 * growing stride, to the next rowid that reads; each skipped range is noted as unreadable.
 */
function readRows(db: Database.Database, table: string, columns: string[], result: SalvageResult): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  const name = basename(table).replace(/"/g, '""');
  let next: Database.Statement;
  try {
    next = db.prepare(`SELECT rowid AS _rowid, ${columns.join(', ')} FROM "${name}" WHERE rowid >= ? ORDER BY rowid LIMIT 1`);
  } catch (err) {
    result.unreadable.push(`table ${table} (${(err as Error).message})`);
    return rows;
  }
  let maxRowid = Number.MAX_SAFE_INTEGER;
  try {
    maxRowid = (db.prepare(`SELECT max(rowid) FROM "${name}"`).pluck().get() as number | null) ?? 0;
  } catch {
    // An unreadable index page: bound the stride search by the rows' own ids instead.
  }
  let at = 1;
  for (let failures = 0; at <= maxRowid && failures < 64; ) {
    try {
      const row = next.get(at) as Record<string, unknown> | undefined;
      if (!row) break;
      rows.push(row);
      at = Number(row._rowid) + 1;
      failures = 0;
    } catch {
      const from = at;
      at += 2 ** failures++;
      result.unreadable.push(`table ${table} rows ${from}..${at - 1}`);
    }
  }
  return rows;
}
