import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportPKCS8, generateKeyPair } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { googlecloudExporterFactory } from '../../../src/exporters/googlecloud/factory.js';
import { Telemetry } from '../../../src/telemetry/telemetry.js';
import { GoogleLoggingFake } from '../../fakes/google-logging.js';
import { recordingLogger, sampleLogs } from './sample-logs.js';

const host = { getExtension: () => undefined };
let fake: GoogleLoggingFake;
let dir: string;
let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  await fake?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('googlecloud exporter (factory + exporter helper)', () => {
  it('delivers through the queue after an expired token and a 503', async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    fake = await new GoogleLoggingFake({ publicKey: pair.publicKey, clientEmail: 'sa@p.iam.gserviceaccount.com', project: 'p' }).start();
    dir = await mkdtemp(join(tmpdir(), 'gcp-factory-'));
    const keyFile = join(dir, 'key.json');
    await writeFile(keyFile, JSON.stringify({ type: 'service_account', project_id: 'p', client_email: 'sa@p.iam.gserviceaccount.com', private_key: await exportPKCS8(pair.privateKey), token_uri: fake.tokenUri }));

    const telemetry = new Telemetry({ processMetrics: false });
    const config = googlecloudExporterFactory.schema.parse({
      credentials_file: keyFile,
      log: { endpoint: fake.baseUrl },
      retry_on_failure: { initial_interval: '10ms', max_interval: '20ms' },
    });
    const exporter = googlecloudExporterFactory.create({ id: 'googlecloud', telemetry, logger: recordingLogger() }, config);
    stop = () => exporter.shutdown();
    await exporter.start(host);

    await exporter.consume(sampleLogs(10));
    await vi.waitFor(() => expect(fake.entries).toHaveLength(10), { timeout: 10_000 });
    fake.expireTokens();
    fake.throttleNext(1, 503);
    await exporter.consume(sampleLogs(5));
    await vi.waitFor(() => expect(fake.entries).toHaveLength(15), { timeout: 10_000 });
    expect(fake.tokenRequests).toBe(2);
    // The backend holds the rows a moment before the exporter acknowledges and counts them.
    await vi.waitFor(async () => expect(await telemetry.metrics()).toMatch(/otelcol_exporter_sent_log_records_total\{exporter="googlecloud"\} 15/), { timeout: 10_000 });
  });
});
