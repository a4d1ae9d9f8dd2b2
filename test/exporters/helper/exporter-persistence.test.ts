import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createExporter } from '../../../src/exporters/helper/exporter.js';
import { fileStorageExtensionFactory } from '../../../src/extensions/file_storage/factory.js';
import { FileStorageExtension } from '../../../src/extensions/file_storage/extension.js';
import { permanent } from '../../../src/exporters/helper/sender.js';
import type { Component } from '../../../src/pipeline/component.js';
import { QUEUE_DB_FILE } from '../../../src/queue/database.js';
import { readLeftovers } from '../../../src/queue/stage-log.js';
import { eventually, helperConfig, hostWith, logsOf, metric, ScriptedSender, settingsFor } from './fixtures.js';

/** The exporter over a file_storage queue: what survives shutdowns and restarts. */

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

function storageDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'exporter-persist-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function startStorage(dir: string): Promise<FileStorageExtension> {
  const ext = fileStorageExtensionFactory.create(settingsFor('file_storage'), fileStorageExtensionFactory.schema.parse({ directory: dir })) as FileStorageExtension;
  await ext.start(hostWith());
  cleanup.push(() => ext.shutdown());
  return ext;
}

async function startExporter(storage: Component, sender: ScriptedSender, settings = settingsFor(), deadLetterMaxBytes = 0) {
  const exporter = createExporter(settings, helperConfig({ sending_queue: { storage: 'file_storage', num_consumers: 4, dead_letter_max_bytes: deadLetterMaxBytes } }), sender);
  await exporter.start(hostWith({ file_storage: storage }));
  cleanup.push(() => exporter.shutdown());
  return { exporter, settings };
}

function storedRows(dir: string, table = 'q_otlphttp_test'): { live: number; dead: { reason: string }[] } {
  const db = new Database(join(dir, QUEUE_DB_FILE), { readonly: true });
  const live = db.prepare(`SELECT count(*) FROM "${table}"`).pluck().get() as number;
  const dead = db.prepare('SELECT reason FROM dead_letter').all() as { reason: string }[];
  db.close();
  return { live, dead };
}

describe('exporter over file_storage', () => {
  it('keeps in-flight records queued when shut down during an outage', async () => {
    // The Collector's persistent queue deletes in-flight items at shutdown (#15677).
    const dir = storageDir();
    const storage = await startStorage(dir);
    const sender = new ScriptedSender([], 'hang');
    const { exporter } = await startExporter(storage, sender);
    for (let i = 0; i < 6; i++) await exporter.consume(logsOf(`r${i}`));
    await eventually(() => sender.calls.length === 4, 'four sends in flight');
    await exporter.shutdown();
    await storage.shutdown();
    expect(storedRows(dir).live).toBe(6);
  });

  it('redelivers everything after a restart and counts as redelivered only what was in flight', async () => {
    const dir = storageDir();
    const first = await startStorage(dir);
    const hanging = new ScriptedSender([], 'hang');
    const { exporter } = await startExporter(first, hanging);
    for (let i = 0; i < 5; i++) await exporter.consume(logsOf(`r${i}`, `s${i}`));
    await eventually(() => hanging.calls.length > 0, 'a send in flight');
    await exporter.shutdown();
    // Records handed to a send before the stop may have reached the backend; the others were never sent.
    const inFlight = new Set(hanging.calls.flatMap((c) => c.bodies)).size;
    expect(inFlight).toBeGreaterThan(0);
    expect(inFlight).toBeLessThan(10);
    await first.shutdown();

    const storage = await startStorage(dir);
    const sender = new ScriptedSender();
    const { settings } = await startExporter(storage, sender);
    await eventually(() => sender.delivered.length === 10, 'redelivery');
    expect(sender.delivered.sort()).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 's0', 's1', 's2', 's3', 's4']);
    await eventually(async () => (await metric(settings.telemetry.redelivered, { exporter: 'otlphttp/test' })) === inFlight, 'redelivered count');
    await eventually(() => storedRows(dir).live === 0, 'rows deleted after ack');
  });

  it('stores a permanently refused request in the dead-letter table with its reason', async () => {
    const dir = storageDir();
    const storage = await startStorage(dir);
    const { exporter, settings } = await startExporter(storage, new ScriptedSender([permanent('HTTP 400: bad attribute')]));
    await exporter.consume(logsOf('bad'));
    await eventually(async () => (await metric(settings.telemetry.deadLetterSize, { exporter: 'otlphttp/test' })) === 1, 'dead letter');
    expect(storedRows(dir)).toEqual({ live: 0, dead: [{ reason: 'permanent: HTTP 400: bad attribute' }] });
  });

  it('keeps the dead-letter store within dead_letter_max_bytes, counting what it removed', async () => {
    const dir = storageDir();
    const storage = await startStorage(dir);
    const { exporter, settings } = await startExporter(storage, new ScriptedSender([], permanent('HTTP 400: bad attribute')), settingsFor(), 1);
    await exporter.consume(logsOf('a', 'b'));
    await eventually(async () => (await metric(settings.telemetry.deadLetterSize, { exporter: 'otlphttp/test' })) === 1, 'first dead letter');
    await exporter.consume(logsOf('c'));
    await eventually(async () => (await metric(settings.telemetry.deadLetterEvicted, { exporter: 'otlphttp/test' })) === 2, 'eviction counted');
    expect(await metric(settings.telemetry.deadLetterSize, { exporter: 'otlphttp/test' })).toBe(1);
    expect(storedRows(dir).dead).toHaveLength(1);
    expect(settings.logger.lines.some((l) => l.level === 'warn' && /dead-letter store full/.test(l.msg))).toBe(true);
  });

  it('dead-letters a stored request that cannot be decoded instead of retrying it forever', async () => {
    const dir = storageDir();
    const storage = await startStorage(dir);
    // A request whose bytes are intact (checksum fine) but are not OTLP: e.g. written by a buggy
    // older version. The sender decodes it, which fails permanently.
    const raw = storage.openQueue('otlphttp/test', { sizer: 'requests', capacity: 10, overflow: 'refuse' });
    await raw.enqueue({ bytes: new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]), items: 1 });
    await raw.close();
    const sender = new ScriptedSender();
    const { settings } = await startExporter(storage, sender);
    await eventually(async () => (await metric(settings.telemetry.deadLettered, { exporter: 'otlphttp/test', reason: 'permanent' })) === 1, 'dead letter');
    expect(sender.delivered).toEqual([]);
    expect(storedRows(dir).live).toBe(0);
  });

  it('has written the records to disk (the stage log) by the time consume resolves', async () => {
    const dir = storageDir();
    const storage = await startStorage(dir);
    const { exporter } = await startExporter(storage, new ScriptedSender([], 'hang'));
    await exporter.consume(logsOf('durable'));
    expect(readLeftovers(dir).records.map((r) => r.items)).toEqual([1]);
  });
});
