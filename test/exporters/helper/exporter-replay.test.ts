import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { otlphttpExporterFactory } from '../../../src/exporters/otlphttp/factory.js';
import type { FileStorageExtension } from '../../../src/extensions/file_storage/extension.js';
import { fileStorageExtensionFactory } from '../../../src/extensions/file_storage/factory.js';
import { anyValueToString } from '../../../src/pdata/values.js';
import { OtlpHttpBackend } from '../../fakes/otlp-http-backend.js';
import { eventually, hostWith, logsOf, metric, settingsFor } from './fixtures.js';

/**
 * Dead letters replayed on a running gateway: the exporter's workers, already waiting on the
 * queue, send them to the backend without a restart (the admin API's replay).
 */

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function running(backend: OtlpHttpBackend) {
  const dir = mkdtempSync(join(tmpdir(), 'exporter-replay-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const storage = fileStorageExtensionFactory.create(settingsFor('file_storage'), fileStorageExtensionFactory.schema.parse({ directory: dir })) as FileStorageExtension;
  await storage.start(hostWith());
  cleanup.push(() => storage.shutdown());
  const settings = settingsFor('otlphttp');
  const config = otlphttpExporterFactory.schema.parse({ endpoint: backend.url, retry_on_failure: { enabled: false }, sending_queue: { storage: 'file_storage', num_consumers: 2 } });
  const exporter = otlphttpExporterFactory.create(settings, config);
  await exporter.start(hostWith({ file_storage: storage }));
  cleanup.push(() => exporter.shutdown());
  return { storage, exporter, settings };
}

describe('dead-letter replay on a running exporter', () => {
  it('sends replayed dead letters to the backend through the running workers, once, and deletes the rest on request', async () => {
    const backend = await OtlpHttpBackend.start();
    cleanup.push(() => backend.close());
    const { storage, exporter, settings } = await running(backend);
    backend.failAlways({ status: 400, message: 'schema mismatch' });
    await exporter.consume(logsOf('bad-1'));
    await exporter.consume(logsOf('bad-2'));
    await eventually(async () => (await metric(settings.telemetry.deadLetterSize, { exporter: 'otlphttp' })) === 2, 'two dead letters');

    const queue = storage.openedQueue('otlphttp')!;
    const [first, second] = await queue.listDeadLetters({ limit: 10 });
    expect(first).toMatchObject({ records: 1, preview: 'bad-1' });
    expect(first!.reason).toContain('schema mismatch');
    expect(second).toMatchObject({ records: 1, preview: 'bad-2' });

    // The backend is fixed; replay one while the exporter keeps running.
    backend.failAlways(undefined);
    expect(await queue.replayDeadLetters({ ids: [first!.id] })).toEqual({ requests: 1, records: 1 });
    await eventually(() => backend.recordCount() === 1, 'the replayed request delivered');
    expect(backend.records().map((r) => anyValueToString(r.body))).toEqual(['bad-1']);
    await eventually(() => queue.size() === 0, 'acknowledged');
    expect((await queue.listDeadLetters({ limit: 10 })).map((d) => d.id)).toEqual([second!.id]);

    expect(await queue.deleteDeadLetters({ all: true })).toEqual({ requests: 1, records: 1 });
    expect(queue.deadLetterSize()).toBe(0);
    // New traffic flows as before.
    await exporter.consume(logsOf('good'));
    await eventually(() => backend.recordCount() === 2, 'new traffic delivered');
    expect(backend.records().map((r) => anyValueToString(r.body))).toEqual(['bad-1', 'good']);
  });
});
