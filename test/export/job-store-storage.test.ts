import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.js';
import { fileStorageSchema } from '../../src/extensions/file_storage/config.js';
import { FileStorageExtension } from '../../src/extensions/file_storage/extension.js';
import type { ExportSpec } from '../../src/export/job.js';
import type { JobStore } from '../../src/queue/job-store.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { captureLogger } from '../receivers/make/helpers.js';

/**
 * Export jobs live behind the storage extension (docs/architecture.md §5): `file_storage` opens
 * `exports.db` (`openJobStore`), the export code never opens SQLite itself. A directory written by
 * an earlier version, when the export code opened `exports.db` on its own, is taken over with its
 * jobs, schedules and file lists.
 */

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'job-store-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function storage(directory: string): FileStorageExtension {
  return new FileStorageExtension({ id: 'file_storage/exports', telemetry: new Telemetry({ processMetrics: false }), logger: captureLogger() }, fileStorageSchema.parse({ directory }));
}

function open(ext: FileStorageExtension): JobStore {
  const store = ext.openJobStore();
  cleanups.push(() => store.close());
  return store;
}

const spec = { name: 'nightly', receiver: 'make', format: 'jsonl' } as unknown as ExportSpec;

/** exports.db as the export code of an earlier version created and filled it, by hand. */
function writeEarlierExportsDb(directory: string): void {
  const db = new Database(join(directory, 'exports.db'));
  db.pragma('journal_mode = WAL');
  db.exec(`
    CREATE TABLE export_jobs (
      id TEXT PRIMARY KEY, spec TEXT NOT NULL, state TEXT NOT NULL, progress TEXT NOT NULL,
      checkpoint TEXT, error TEXT, owner_pid INTEGER, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
    CREATE TABLE export_schedules (name TEXT PRIMARY KEY, registered_at INTEGER NOT NULL, last_scheduled INTEGER);
    CREATE TABLE export_files (
      job TEXT NOT NULL, seq INTEGER NOT NULL, path TEXT NOT NULL, records INTEGER NOT NULL,
      bytes INTEGER NOT NULL, sha256 TEXT NOT NULL, PRIMARY KEY (job, seq));
  `);
  const progress = JSON.stringify({ scenariosDone: 2, scenariosTotal: 2, records: 120, bytes: 4096 });
  db.prepare("INSERT INTO export_jobs (id, spec, state, progress, created_at, updated_at) VALUES ('exp-old', ?, 'succeeded', ?, 1000, 2000)").run(JSON.stringify(spec), progress);
  db.prepare("INSERT INTO export_files VALUES ('exp-old', 1, '/exports/nightly-0001.jsonl', 120, 4096, 'ab12')").run();
  db.prepare("INSERT INTO export_schedules VALUES ('nightly', 500, 1500)").run();
  db.close();
}

describe('export jobs behind the storage extension', () => {
  it('takes over an exports.db an earlier version wrote: its jobs, file lists and schedules read as before', async () => {
    const dir = await tempDir();
    writeEarlierExportsDb(dir);
    const store = open(storage(dir));
    const job = store.get('exp-old');
    expect(job).toMatchObject({ id: 'exp-old', state: 'succeeded', progress: { records: 120 }, createdAt: 1000, updatedAt: 2000 });
    expect(job?.spec).toEqual(spec);
    expect(job?.files).toEqual([{ path: '/exports/nightly-0001.jsonl', records: 120, bytes: 4096, sha256: 'ab12' }]);
    expect(store.schedule('nightly', 9_999)).toEqual({ registeredAt: 500, lastScheduled: 1500, isNew: false });
    expect(store.runsOf('nightly', 10).map((j) => j.id)).toEqual(['exp-old']);
    // New jobs go into the same file, beside the old ones.
    store.create('exp-new', spec, 3000);
    expect(store.list().map((j) => j.id)).toEqual(['exp-new', 'exp-old']);
  });

  it('opens the jobs without starting the extension, and while a started one holds the queue database', async () => {
    const dir = await tempDir();
    const running = storage(dir);
    await running.start({ getExtension: () => undefined });
    cleanups.push(() => running.shutdown());
    const gateway = open(running);
    // An offline tool (the CLI, `mcp`) on the same directory: a second extension, never started.
    const cli = open(storage(dir));
    gateway.create('exp-1', spec, 1);
    expect(cli.get('exp-1')?.state).toBe('queued');
    expect(cli.cancel('exp-1')).toBe(true);
    expect(gateway.state('exp-1')).toBe('cancelled');
  });

  it('refuses a file that is not a database with EXPORT_FAILED naming the extension, not a crash', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'exports.db'), Buffer.alloc(8192, 7));
    const ext = storage(dir);
    expect(() => ext.openJobStore()).toThrow(GatewayError);
    expect(() => ext.openJobStore()).toThrow(/^extensions\.file_storage\/exports: cannot open the export jobs in .*: file is not a database/);
  });
});
