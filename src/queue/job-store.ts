import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Checkpoint, ExportFile, ExportSpec, JobInfo, JobProgress, JobState } from '../export/job.js';

/**
 * Export jobs on disk: `exports.db` (SQLite, WAL) in the `file_storage` directory, opened by the
 * storage extension (`openJobStore`, docs/architecture.md §5); the export engine only calls this
 * class. Its own file, beside the queue's database, so the CLI, the MCP server and a running
 * gateway can all use it at once while the gateway alone holds the queue's (owner-lock.ts).
 * A file left by an earlier version (written by the export code itself) is the same format and is
 * taken over as it is, jobs, schedules and files included. Invariants:
 * - A job row holds its resolved spec, its state, its progress and its checkpoint: the position
 *   after the last page whose records are durably staged (staging file fsync'd before the commit).
 * - A chunk file is listed in `export_files` in the same transaction as the checkpoint that passed
 *   it; a file on disk that is not listed is re-rendered (identically) by a resume.
 * - `cancelled` is written by whoever cancels; a running engine reads the state between pages.
 * Commits are synchronous = FULL when the storage's `fsync` is on.
 */

export const EXPORTS_DB_FILE = 'exports.db';

interface JobRow {
  id: string;
  spec: string;
  state: JobState;
  progress: string;
  checkpoint: string | null;
  error: string | null;
  owner_pid: number | null;
  created_at: number;
  updated_at: number;
}

/**
 * The least a job write waits for another process's lock: the CLI, the MCP server and the gateway
 * write here at once, and a page's commit is worth waiting for (the storage's `timeout`, 1 s by
 * default, is for the queue's single writer).
 */
const MIN_BUSY_TIMEOUT_MS = 5_000;

export interface JobStoreOptions {
  /** Commits are synchronous = FULL (fsync'd) when on. */
  fsync: boolean;
  /** How long a write waits for another process's lock (`file_storage.timeout`); at least 5 s. */
  busyTimeoutMs?: number;
}

/** `directory`'s export jobs; for the storage extension (and tools that are it, offline). */
export function openJobStore(directory: string, options: JobStoreOptions): JobStore {
  mkdirSync(directory, { recursive: true });
  const db = new Database(join(directory, EXPORTS_DB_FILE));
  try {
    return new JobStore(db, options);
  } catch (err) {
    db.close();
    throw err;
  }
}

export class JobStore {
  constructor(
    private readonly db: Database.Database,
    options: JobStoreOptions,
  ) {
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.fsync ? 'FULL' : 'NORMAL'}`);
    this.db.pragma(`busy_timeout = ${Math.max(options.busyTimeoutMs ?? 0, MIN_BUSY_TIMEOUT_MS)}`);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS export_jobs (
        id TEXT PRIMARY KEY, spec TEXT NOT NULL, state TEXT NOT NULL, progress TEXT NOT NULL,
        checkpoint TEXT, error TEXT, owner_pid INTEGER, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS export_schedules (
        name TEXT PRIMARY KEY, registered_at INTEGER NOT NULL, last_scheduled INTEGER);
      CREATE TABLE IF NOT EXISTS export_files (
        job TEXT NOT NULL, seq INTEGER NOT NULL, path TEXT NOT NULL, records INTEGER NOT NULL,
        bytes INTEGER NOT NULL, sha256 TEXT NOT NULL, PRIMARY KEY (job, seq));
    `);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** The job, or undefined. */
  get(id: string): (JobInfo & { checkpoint?: Checkpoint; ownerPid?: number }) | undefined {
    const row = this.db.prepare('SELECT * FROM export_jobs WHERE id = ?').get(id) as JobRow | undefined;
    return row ? this.toInfo(row) : undefined;
  }

  list(limit = 20): JobInfo[] {
    const rows = this.db.prepare('SELECT * FROM export_jobs ORDER BY created_at DESC, id LIMIT ?').all(limit) as JobRow[];
    return rows.map((r) => this.toInfo(r));
  }

  /** Inserts a queued job unless one with this id exists; returns the stored job. */
  create(id: string, spec: ExportSpec, now = Date.now()): JobInfo {
    const progress: JobProgress = { scenariosDone: 0, scenariosTotal: 0, records: 0, bytes: 0 };
    this.db
      .prepare("INSERT OR IGNORE INTO export_jobs (id, spec, state, progress, created_at, updated_at) VALUES (?, ?, 'queued', ?, ?, ?)")
      .run(id, JSON.stringify(spec), JSON.stringify(progress), now, now);
    return this.get(id)!;
  }

  /** Marks the job running for this process; false when another live process runs it. */
  claim(id: string, pid = process.pid): boolean {
    return this.db.transaction(() => {
      const job = this.get(id);
      if (!job) return false;
      if (job.state === 'running' && job.ownerPid !== undefined && job.ownerPid !== pid && isAlive(job.ownerPid)) return false;
      this.db.prepare("UPDATE export_jobs SET state = 'running', owner_pid = ?, error = NULL, updated_at = ? WHERE id = ?").run(pid, Date.now(), id);
      return true;
    }).immediate();
  }

  state(id: string): JobState | undefined {
    return (this.db.prepare('SELECT state FROM export_jobs WHERE id = ?').pluck().get(id) as JobState | undefined) ?? undefined;
  }

  /** One page's worth of progress, atomically with any chunk files it finished. */
  commit(id: string, checkpoint: Checkpoint, progress: JobProgress, files: (ExportFile & { seq: number })[] = []): void {
    this.db.transaction(() => {
      const ins = this.db.prepare('INSERT OR REPLACE INTO export_files (job, seq, path, records, bytes, sha256) VALUES (?, ?, ?, ?, ?, ?)');
      for (const f of files) ins.run(id, f.seq, f.path, f.records, f.bytes, f.sha256);
      this.db.prepare('UPDATE export_jobs SET checkpoint = ?, progress = ?, updated_at = ? WHERE id = ?').run(JSON.stringify(checkpoint), JSON.stringify(progress), Date.now(), id);
    }).immediate();
  }

  finish(id: string, state: Exclude<JobState, 'queued' | 'running'>, error?: string): void {
    this.db.prepare('UPDATE export_jobs SET state = ?, error = ?, owner_pid = NULL, updated_at = ? WHERE id = ?').run(state, error ?? null, Date.now(), id);
  }

  /** Cancels a queued or running job; false if it is finished (or unknown). */
  cancel(id: string): boolean {
    const r = this.db.prepare("UPDATE export_jobs SET state = 'cancelled', updated_at = ? WHERE id = ? AND state IN ('queued', 'running')").run(Date.now(), id);
    return r.changes > 0;
  }

  /** A scheduled job's bookkeeping: when it was first seen, the window end of its last run. */
  schedule(name: string, now = Date.now()): { registeredAt: number; lastScheduled?: number; isNew: boolean } {
    const inserted = this.db.prepare('INSERT OR IGNORE INTO export_schedules (name, registered_at) VALUES (?, ?)').run(name, now).changes > 0;
    const row = this.db.prepare('SELECT registered_at, last_scheduled FROM export_schedules WHERE name = ?').get(name) as { registered_at: number; last_scheduled: number | null };
    return { registeredAt: row.registered_at, ...(row.last_scheduled !== null ? { lastScheduled: row.last_scheduled } : {}), isNew: inserted };
  }

  markScheduled(name: string, windowEndMs: number): void {
    this.db.prepare('UPDATE export_schedules SET last_scheduled = MAX(COALESCE(last_scheduled, 0), ?) WHERE name = ?').run(windowEndMs, name);
  }

  /** The runs of a scheduled job, newest first. */
  runsOf(name: string, limit: number): JobInfo[] {
    const rows = this.db.prepare("SELECT * FROM export_jobs WHERE json_extract(spec, '$.name') = ? ORDER BY created_at DESC, id LIMIT ?").all(name, limit) as JobRow[];
    return rows.map((r) => this.toInfo(r));
  }

  /** Keeps the newest `keep` runs of a scheduled job in the store (their files stay on disk). */
  prune(name: string, keep: number): void {
    this.db.transaction(() => {
      const old = this.db
        .prepare("SELECT id FROM export_jobs WHERE json_extract(spec, '$.name') = ? AND state NOT IN ('queued', 'running') ORDER BY created_at DESC, id LIMIT -1 OFFSET ?")
        .pluck()
        .all(name, keep) as string[];
      for (const id of old) {
        this.db.prepare('DELETE FROM export_files WHERE job = ?').run(id);
        this.db.prepare('DELETE FROM export_jobs WHERE id = ?').run(id);
      }
    })();
  }

  private toInfo(row: JobRow): JobInfo & { checkpoint?: Checkpoint; ownerPid?: number } {
    // A job whose process died (kill -9, power loss) reads as failed; running it again resumes it.
    if (row.state === 'running' && row.owner_pid !== null && !isAlive(row.owner_pid)) {
      row = { ...row, state: 'failed', error: `interrupted: process ${row.owner_pid} ended while running it; run it again (export resume ${row.id}) to continue from the last committed page` };
    }
    const files = this.db.prepare('SELECT path, records, bytes, sha256 FROM export_files WHERE job = ? ORDER BY seq').all(row.id) as ExportFile[];
    return {
      id: row.id,
      spec: JSON.parse(row.spec) as ExportSpec,
      state: row.state,
      progress: JSON.parse(row.progress) as JobProgress,
      files,
      ...(row.error ? { error: row.error } : {}),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      ...(row.checkpoint ? { checkpoint: JSON.parse(row.checkpoint) as Checkpoint } : {}),
      ...(row.owner_pid !== null ? { ownerPid: row.owner_pid } : {}),
    };
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
