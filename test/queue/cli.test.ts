import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayConfig } from '../../src/config/validate.js';
import { fileStorageExtensionFactory } from '../../src/extensions/file_storage/factory.js';
import type { StorageExtension } from '../../src/extensions/storage.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { queueTargets, runQueueCommand } from '../../src/queue/cli.js';
import { SqliteQueue } from '../../src/queue/sqlite-queue.js';
import { STAGE_DIR } from '../../src/queue/stage-log.js';
import { enqueueUntilKilled } from './fixtures/enqueue-until-killed-parent.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'queue-cli-'));
  dirs.push(dir);
  return dir;
}

const open = (directory: string, exporterId = 'otlphttp/a') =>
  SqliteQueue.open({ directory, fsync: true, exporterId, sizer: 'requests', capacity: 100, overflow: 'refuse' });

/** A stopped gateway's leftovers: 2 queued requests and 1 dead letter for otlphttp/a. */
async function leftovers(directory: string): Promise<void> {
  const q = open(directory);
  await q.enqueue({ bytes: new Uint8Array([1]), items: 3 });
  await q.enqueue({ bytes: new Uint8Array([2]), items: 4 });
  await q.enqueue({ bytes: new Uint8Array([3]), items: 5 });
  await q.deadLetter((await q.take())!.id, 'permanent: HTTP 400: bad field');
  await q.close();
}

/** The file_storage extension (created, not started, as the command does) of each directory. */
function storageAt(directory: string): StorageExtension {
  return fileStorageExtensionFactory.create({ id: 'file_storage', telemetry: new Telemetry(), logger: silentLogger }, fileStorageExtensionFactory.schema.parse({ directory })) as unknown as StorageExtension;
}

async function cli(args: string[], targets: { exporterId: string; directory: string }[]) {
  const lines: string[] = [];
  const storages = new Map<string, StorageExtension>();
  const resolved = targets.map((t) => {
    if (!storages.has(t.directory)) storages.set(t.directory, storageAt(t.directory));
    return { exporterId: t.exporterId, storage: storages.get(t.directory)! };
  });
  const code = await runQueueCommand(args, resolved, (l) => lines.push(l));
  return { code, lines };
}

describe('queue CLI', () => {
  it('counts what a killed gateway left in its stage log, folding it into the tables first', async () => {
    const dir = tempDir();
    const acknowledged = await enqueueUntilKilled(dir, 50);
    expect(existsSync(join(dir, STAGE_DIR))).toBe(true);
    const { code, lines } = await cli(['stats'], [{ exporterId: 'otlphttp/torn', directory: dir }]);
    expect(code).toBe(0);
    const queued = Number(/queued_requests=(\d+)/.exec(lines[0]!)![1]);
    expect(queued).toBeGreaterThanOrEqual(acknowledged.size);
    expect(existsSync(join(dir, STAGE_DIR))).toBe(false);
  });

  it('reports queued and dead-lettered requests per exporter', async () => {
    const dir = tempDir();
    await leftovers(dir);
    const { code, lines } = await cli(['stats'], [{ exporterId: 'otlphttp/a', directory: dir }]);
    expect(code).toBe(0);
    expect(lines[0]).toMatch(/^exporter=otlphttp\/a queued_requests=2 queued_records=9 queued_bytes=2 dead_letter_requests=1 dead_letter_records=3 /);
  });

  it('lists dead letters with their reason', async () => {
    const dir = tempDir();
    await leftovers(dir);
    const { code, lines } = await cli(['dead-letter', 'list', '--exporter', 'otlphttp/a'], [{ exporterId: 'otlphttp/a', directory: dir }]);
    expect(code).toBe(0);
    expect(lines[0]).toMatch(/exporter=otlphttp\/a records=3 .* reason="permanent: HTTP 400: bad field"$/);
    expect(lines.at(-1)).toBe('exporter=otlphttp/a dead_letter_requests=1');
  });

  it('replays dead letters into the queue so the next start delivers them', async () => {
    const dir = tempDir();
    await leftovers(dir);
    const { code, lines } = await cli(['dead-letter', 'replay'], [{ exporterId: 'otlphttp/a', directory: dir }]);
    expect(code).toBe(0);
    expect(lines[0]).toContain('replayed_requests=1 replayed_records=3');
    const q = open(dir);
    expect(q.size()).toBe(3);
    expect(q.deadLetterSize()).toBe(0);
    const order = [];
    for (let i = 0; i < 3; i++) order.push((await q.take())!.bytes[0]);
    expect(order).toEqual([2, 3, 1]);
    await q.close();
  });

  it('purges dead letters for good', async () => {
    const dir = tempDir();
    await leftovers(dir);
    expect((await cli(['dead-letter', 'purge', '--exporter=otlphttp/a'], [{ exporterId: 'otlphttp/a', directory: dir }])).lines[0]).toBe(
      'exporter=otlphttp/a purged_requests=1 purged_records=3',
    );
    const { lines } = await cli(['stats'], [{ exporterId: 'otlphttp/a', directory: dir }]);
    expect(lines[0]).toContain('queued_requests=2');
    expect(lines[0]).toContain('dead_letter_requests=0');
  });

  it('touches only the exporter named with --exporter', async () => {
    const dir = tempDir();
    await leftovers(dir);
    const b = open(dir, 'otlp/b');
    await b.enqueue({ bytes: new Uint8Array([9]), items: 1 });
    await b.deadLetter((await b.take())!.id, 'permanent: gRPC status 3');
    await b.close();
    const targets = [
      { exporterId: 'otlphttp/a', directory: dir },
      { exporterId: 'otlp/b', directory: dir },
    ];
    await cli(['dead-letter', 'purge', '--exporter', 'otlp/b'], targets);
    const { lines } = await cli(['stats'], targets);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain('dead_letter_requests=1');
    expect(lines[1]).toMatch(/^exporter=otlp\/b .*dead_letter_requests=0/);
  });

  it('says so when the queue database does not exist yet', async () => {
    const dir = tempDir();
    const { code, lines } = await cli(['stats'], [{ exporterId: 'otlphttp/a', directory: dir }]);
    expect(code).toBe(0);
    expect(lines[0]).toContain('queued_requests=0');
    expect(lines[0]).toContain('no queue database yet');
  });

  it('fails with usage for an unknown command or exporter', async () => {
    const dir = tempDir();
    expect((await cli(['dead-letter', 'explode'], [{ exporterId: 'otlphttp/a', directory: dir }])).code).toBe(2);
    const unknown = await cli(['stats', '--exporter', 'nope'], [{ exporterId: 'otlphttp/a', directory: dir }]);
    expect(unknown.code).toBe(2);
    expect(unknown.lines[0]).toContain('"nope"');
  });
});

describe('queue targets from a config', () => {
  it('lists the exporters whose sending queue lives in a file_storage directory', () => {
    const component = (id: string, config: unknown) => [id, { id, type: id.split('/')[0], factory: undefined as never, config }] as const;
    const config = {
      exporters: new Map([
        component('otlphttp', { sending_queue: { enabled: true, storage: 'file_storage/q' } }),
        component('otlp/memory', { sending_queue: { enabled: true } }),
        component('otlp/off', { sending_queue: { enabled: false, storage: 'file_storage/q' } }),
      ]),
      extensions: new Map([['file_storage/q', { id: 'file_storage/q', type: 'file_storage', factory: fileStorageExtensionFactory, config: fileStorageExtensionFactory.schema.parse({ directory: '/var/lib/gw/queue' }) }]]),
      service: { extensions: ['file_storage/q'], pipelines: [{ id: 'logs', signal: 'logs', receivers: ['otlp'], processors: [], exporters: ['otlphttp', 'otlp/memory', 'otlp/off'] }] },
    } as unknown as GatewayConfig;
    // Asked of the extension itself, created from its config (not read from the config's shape).
    expect(queueTargets(config).map((t) => ({ exporterId: t.exporterId, directory: t.storage.directory }))).toEqual([{ exporterId: 'otlphttp', directory: '/var/lib/gw/queue' }]);
  });
});
