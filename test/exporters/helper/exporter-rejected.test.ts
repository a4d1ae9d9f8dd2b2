import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createExporter } from '../../../src/exporters/helper/exporter.js';
import { success, type ExportRequest } from '../../../src/exporters/helper/sender.js';
import { fileStorageExtensionFactory } from '../../../src/extensions/file_storage/factory.js';
import type { FileStorageExtension } from '../../../src/extensions/file_storage/extension.js';
import { decodeLogs } from '../../../src/pdata/proto.js';
import { QUEUE_DB_FILE } from '../../../src/queue/database.js';
import { deadLettersIn } from '../../helpers/dead-letters.js';
import { bodiesOf, eventually, helperConfig, hostWith, logsOf, metric, ScriptedSender, settingsFor } from './fixtures.js';

/**
 * A sender that delivers most of a request but hands back records the backend can never accept
 * (`success(…, rejectedLogs)`, e.g. one entry above the backend's request limit): those records
 * land in the dead-letter store with the sender's reason, and nothing else is lost or resent.
 */

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const TOO_BIG = 'entry of 1500000 bytes above the 1000000-byte request limit';

/** Delivers every record except the ones whose body starts with `huge`, which it hands back. */
function rejectHuge(request: ExportRequest) {
  const huge = bodiesOf(request).filter((b) => b.startsWith('huge'));
  return huge.length === 0 ? success() : success(huge.length, TOO_BIG, logsOf(...huge));
}

async function startStorage(dir: string): Promise<FileStorageExtension> {
  const ext = fileStorageExtensionFactory.create(settingsFor('file_storage'), fileStorageExtensionFactory.schema.parse({ directory: dir })) as FileStorageExtension;
  await ext.start(hostWith());
  return ext;
}

describe('records a sender hands back as never acceptable', () => {
  it('go to the dead-letter store with their reason while the rest is delivered', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'exporter-rejected-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const storage = await startStorage(dir);
    cleanup.push(() => storage.shutdown());
    const sender = new ScriptedSender([], rejectHuge);
    const settings = settingsFor();
    const exporter = createExporter(settings, helperConfig({ sending_queue: { storage: 'file_storage' } }), sender);
    await exporter.start(hostWith({ file_storage: storage }));
    cleanup.push(() => exporter.shutdown());

    await exporter.consume(logsOf('ok-1', 'huge-1', 'ok-2'));
    const { telemetry } = settings;
    await eventually(async () => (await metric(telemetry.exporterSent, { exporter: 'otlphttp/test' })) === 3, 'the request acknowledged');

    expect(sender.calls).toHaveLength(1);
    expect(await metric(telemetry.deadLettered, { exporter: 'otlphttp/test', reason: 'permanent' })).toBe(1);
    expect(await metric(telemetry.deadLetterSize, { exporter: 'otlphttp/test' })).toBe(1);
    expect(await metric(telemetry.partialRejected, { exporter: 'otlphttp/test' })).toBe(0);
    expect(await metric(telemetry.queueSize, { exporter: 'otlphttp/test' })).toBe(0);
    expect(settings.logger.lines.some((l) => l.level === 'warn' && l.attrs.reason === `permanent: ${TOO_BIG}`)).toBe(true);

    await exporter.shutdown();
    await storage.shutdown();
    // What `make-otel-gateway queue dead-letter list` shows.
    expect(await deadLettersIn(dir, 'otlphttp/test')).toMatchObject([{ records: 1, reason: `permanent: ${TOO_BIG}` }]);
    const raw = new Database(join(dir, QUEUE_DB_FILE), { readonly: true });
    const payload = raw.prepare('SELECT payload FROM dead_letter').pluck().get() as Buffer;
    const liveRows = raw.prepare('SELECT count(*) FROM "q_otlphttp_test"').pluck().get();
    raw.close();
    expect(bodiesOf({ records: 1, bytes: () => payload, logs: () => decodeLogs(payload) })).toEqual(['huge-1']);
    expect(liveRows).toBe(0);
  });

  it('are counted as dead-lettered by an in-memory queue too', async () => {
    const settings = settingsFor();
    const exporter = createExporter(settings, helperConfig(), new ScriptedSender([], rejectHuge));
    await exporter.start(hostWith());
    cleanup.push(() => exporter.shutdown());

    await exporter.consume(logsOf('huge-1', 'huge-2', 'ok-1'));
    await eventually(async () => (await metric(settings.telemetry.exporterSent, { exporter: 'otlphttp/test' })) === 3, 'the request acknowledged');
    expect(await metric(settings.telemetry.deadLettered, { exporter: 'otlphttp/test', reason: 'permanent' })).toBe(2);
    expect(await metric(settings.telemetry.deadLetterSize, { exporter: 'otlphttp/test' })).toBe(1);
  });
});
