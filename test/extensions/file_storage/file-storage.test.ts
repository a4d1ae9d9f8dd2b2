import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileStorageExtensionFactory } from '../../../src/extensions/file_storage/factory.js';
import type { FileStorageExtension } from '../../../src/extensions/file_storage/extension.js';
import { isStorageExtension } from '../../../src/extensions/storage.js';
import { QUEUE_DB_FILE, type QueueDatabase } from '../../../src/queue/database.js';
import type { QueueLimits } from '../../../src/queue/queue.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { Telemetry } from '../../../src/telemetry/telemetry.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'file-storage-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const limits: QueueLimits = { sizer: 'requests', capacity: 10, overflow: 'refuse' };

/** The extension's own connection (a test looks at its pragmas). */
const databaseOf = (ext: FileStorageExtension) => (ext as unknown as { database: QueueDatabase }).database;

async function start(config: Record<string, unknown>): Promise<FileStorageExtension> {
  const parsed = fileStorageExtensionFactory.schema.parse(config);
  const ext = fileStorageExtensionFactory.create({ id: 'file_storage', telemetry: new Telemetry({ processMetrics: false }), logger: silentLogger }, parsed) as FileStorageExtension;
  cleanup.push(() => ext.shutdown());
  await ext.start({ getExtension: () => undefined });
  return ext;
}

describe('file_storage extension config', () => {
  it('fsyncs by default, unlike the Collector', () => {
    const config = fileStorageExtensionFactory.schema.parse({});
    expect(config.fsync).toBe(true);
    expect(config.directory).toBe('./data/file_storage');
  });

  it('accepts the Collector keys timeout and compaction', () => {
    const config = fileStorageExtensionFactory.schema.parse({ directory: '/x', timeout: '2s', compaction: { on_start: true, directory: '/tmp', max_transaction_size: 65536 }, fsync: false });
    expect(config.timeout).toBe(2000);
    expect(config.fsync).toBe(false);
  });

  it('refuses an unknown key', () => {
    expect(fileStorageExtensionFactory.schema.safeParse({ directroy: '/x' }).success).toBe(false);
  });
});

describe('file_storage extension', () => {
  it('creates its directory at start and is a storage extension', async () => {
    const dir = join(tempDir(), 'nested', 'queue');
    const ext = await start({ directory: dir });
    expect(existsSync(join(dir, QUEUE_DB_FILE))).toBe(true);
    expect(isStorageExtension(ext)).toBe(true);
    expect(ext.directory).toBe(dir);
  });

  it('keeps client values across a restart, separately per component', async () => {
    const dir = tempDir();
    const first = await start({ directory: dir });
    const cursor = first.getClient('receiver', 'make/prod');
    await cursor.set('scenario.42', '1700000000000');
    await first.getClient('receiver', 'make/test').set('scenario.42', 'other');
    await cursor.set('gone', 'x');
    await cursor.delete('gone');
    await first.shutdown();

    const again = await start({ directory: dir });
    const client = again.getClient('receiver', 'make/prod');
    expect(await client.get('scenario.42')).toBe('1700000000000');
    expect(await client.get('gone')).toBeUndefined();
    expect(await again.getClient('receiver', 'make/test').get('scenario.42')).toBe('other');
  });

  it('keeps the queue in WAL mode with incremental vacuum, SQLite syncing only at checkpoints (the gateway fsyncs the WAL itself)', async () => {
    // fsync on: durable writes wait for the gateway's own WAL fsync (test/queue/wal-sync.test.ts);
    // SQLite's synchronous=NORMAL then only syncs at checkpoints, for both settings.
    const on = databaseOf(await start({ directory: tempDir(), fsync: true }));
    const off = databaseOf(await start({ directory: tempDir(), fsync: false }));
    expect(on.db.pragma('synchronous', { simple: true })).toBe(1);
    expect(off.db.pragma('synchronous', { simple: true })).toBe(1);
    expect(on.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(on.db.pragma('auto_vacuum', { simple: true })).toBe(2);
  });

  it('waits for a lock held by another connection as long as `timeout` says (the Collector default 1s)', async () => {
    const short = databaseOf(await start({ directory: tempDir(), timeout: '250ms' }));
    expect(short.db.pragma('busy_timeout', { simple: true })).toBe(250);
    const byDefault = databaseOf(await start({ directory: tempDir() }));
    expect(byDefault.db.pragma('busy_timeout', { simple: true })).toBe(1000);
  });

  it('hands out a persistent queue per owner on its own database, kept across a restart', async () => {
    const dir = tempDir();
    const first = await start({ directory: dir });
    const q = first.openQueue('otlphttp/a', limits);
    await q.enqueue({ bytes: new Uint8Array([7]), items: 1 });
    expect(() => first.openQueue('otlphttp/a', limits)).toThrow(/queue of "otlphttp\/a" is open already/);
    await q.close();
    await first.shutdown();

    const again = await start({ directory: dir });
    const reopened = again.openQueue('otlphttp/a', limits);
    expect(reopened.size()).toBe(1);
    expect([...(await reopened.take())!.bytes]).toEqual([7]);
    expect(again.openQueue('otlp/b', limits).size()).toBe(0);
  });

  it('refuses a second file_storage on the same directory at start, naming the directory', async () => {
    const dir = tempDir();
    await start({ directory: dir });
    await expect(start({ directory: dir })).rejects.toThrow(`queue directory ${dir} is already used by another file_storage extension of this gateway`);
  });
});
