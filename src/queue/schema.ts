import Database from 'better-sqlite3';
import { GatewayError } from '../errors.js';

/**
 * The queue database's schema and connection settings. One SQLite database per `file_storage`
 * directory, owned by that extension and shared by every queue and key/value client in it (one
 * connection, so one writer and one group commit for all of them: database.ts).
 *
 * On-disk format (format_version 1), file `<directory>/gateway-queue.db`, WAL mode:
 *   meta(key PRIMARY KEY, value)                      format_version
 *   queues(exporter_id PRIMARY KEY, table_name UNIQUE) which table holds which exporter's queue
 *   q_<sanitised exporter id>(                        one live queue per exporter, a row = a request
 *     id INTEGER PRIMARY KEY AUTOINCREMENT,           monotonic: never reused, so a read cursor works
 *     items, size_bytes, checksum (crc32 of payload), attempts, enqueued_at (epoch ms),
 *     payload BLOB)                                   ExportLogsServiceRequest protobuf bytes, last:
 *                                                     counting a backlog at open then skips the
 *                                                     blobs' overflow pages (250 MB backlog: RSS
 *                                                     +21 MB → +7 MB, open 630 → 230 ms)
 *   dead_letter(id AUTOINCREMENT, exporter_id, items, size_bytes, checksum, attempts,
 *     enqueued_at, failed_at, reason, payload)        permanent failures, listable and replayable
 *   kv(component, key, value)                          StorageClient values (receiver cursors, ...)
 * and, while the gateway runs, the stage log `<directory>/gateway-queue.stage/` (stage-log.ts):
 * where young requests' bytes are written once instead of into the tables. It is folded into the
 * tables at open (after a crash) and emptied into them at close, so at rest the tables hold all.
 *
 * Durability: WAL mode with `synchronous=NORMAL` (SQLite then syncs only at checkpoints), and with
 * fsync on (the default) the gateway fsyncs the WAL file and the stage log segments it wrote after
 * each commit, on a thread of its own (wal-syncer.ts; libuv's thread pool in the `queue` CLI, or
 * if that thread dies), and resolves durable writes only once that fsync returned: the same
 * guarantee as `synchronous=FULL`, without blocking the event loop for the fsync (measured 4-10 ms per commit
 * here, a third of the event loop under load; BENCHMARKS.md). fsync off: a power cut may lose the
 * last commits, a process crash loses nothing. Writes from one event-loop turn share one
 * transaction (group commit), and commits made while an fsync runs share the next one. In the
 * gateway, WAL checkpoints (SQLite copying the WAL into the database file, with its own fsyncs)
 * run on a thread of their own (checkpointer.ts).
 */

export const QUEUE_DB_FILE = 'gateway-queue.db';
export const FORMAT_VERSION = '1';
/** Keep the WAL file from staying huge after a burst: truncated to this after a checkpoint. */
export const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;
/**
 * How long a write waits for another connection (the `queue` CLI, the checkpointer) holding the
 * lock, unless `file_storage.timeout` says otherwise.
 */
export const DEFAULT_BUSY_TIMEOUT_MS = 5_000;

/** The live-queue table of an exporter, created on first use. */
export function queueTableOf(db: Database.Database, exporterId: string, create = true): string | undefined {
  const row = db.prepare('SELECT table_name FROM queues WHERE exporter_id = ?').get(exporterId) as { table_name: string } | undefined;
  if (row) return row.table_name;
  if (!create) return undefined;
  const base = `q_${exporterId.replace(/[^A-Za-z0-9_]/g, '_')}`;
  const taken = new Set((db.prepare('SELECT table_name FROM queues').all() as { table_name: string }[]).map((r) => r.table_name));
  let name = base;
  for (let n = 2; taken.has(name); n++) name = `${base}_${n}`;
  db.transaction(() => {
    db.exec(`CREATE TABLE IF NOT EXISTS "${name}" (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      items INTEGER NOT NULL,
      size_bytes INTEGER NOT NULL,
      checksum INTEGER NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      enqueued_at INTEGER NOT NULL,
      payload BLOB NOT NULL)`);
    db.prepare('INSERT INTO queues (exporter_id, table_name) VALUES (?, ?)').run(exporterId, name);
  })();
  return name;
}

export function exporterIdsOf(db: Database.Database): string[] {
  return (db.prepare('SELECT exporter_id FROM queues ORDER BY exporter_id').all() as { exporter_id: string }[]).map((r) => r.exporter_id);
}


export function startError(path: string, err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  const detail = (err as { message?: string }).message ?? String(err);
  return new GatewayError(
    'COMPONENT_START_FAILED',
    `cannot open queue database ${path}: ${detail}. If the file is damaged, stop the gateway and move it aside; the gateway then starts with an empty queue.`,
    { cause: err },
  );
}

export function migrate(db: Database.Database): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS queues (exporter_id TEXT PRIMARY KEY, table_name TEXT NOT NULL UNIQUE);
    CREATE TABLE IF NOT EXISTS dead_letter (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      exporter_id TEXT NOT NULL,
      items INTEGER NOT NULL,
      size_bytes INTEGER NOT NULL,
      checksum INTEGER NOT NULL,
      attempts INTEGER NOT NULL,
      enqueued_at INTEGER NOT NULL,
      failed_at INTEGER NOT NULL,
      reason TEXT NOT NULL,
      payload BLOB NOT NULL);
    CREATE INDEX IF NOT EXISTS dead_letter_by_exporter ON dead_letter (exporter_id, id);
    CREATE TABLE IF NOT EXISTS kv (component TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (component, key)) WITHOUT ROWID;
  `);
  const version = db.prepare("SELECT value FROM meta WHERE key = 'format_version'").get() as { value: string } | undefined;
  if (!version) db.prepare("INSERT INTO meta (key, value) VALUES ('format_version', ?)").run(FORMAT_VERSION);
  else if (version.value !== FORMAT_VERSION) throw new Error(`unsupported queue format_version ${version.value} (this gateway reads ${FORMAT_VERSION})`);
}

/** Pragmas of every connection to the database: this thread's and the checkpointer's. */
export function connectionPragmas(busyTimeoutMs = DEFAULT_BUSY_TIMEOUT_MS): string[] {
  return ['synchronous = NORMAL', `journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`, `busy_timeout = ${Math.round(busyTimeoutMs)}`];
}

