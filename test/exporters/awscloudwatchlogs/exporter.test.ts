import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { awsCloudWatchLogsExporterFactory } from '../../../src/exporters/awscloudwatchlogs/factory.js';
import type { FileStorageExtension } from '../../../src/extensions/file_storage/extension.js';
import { fileStorageExtensionFactory } from '../../../src/extensions/file_storage/factory.js';
import type { Component, LogsConsumer } from '../../../src/pipeline/component.js';
import { deadLettersIn } from '../../helpers/dead-letters.js';
import { Telemetry } from '../../../src/telemetry/telemetry.js';
import { startCloudWatchLogsFake, type CloudWatchLogsFake } from '../../fakes/cloudwatch-logs.js';
import { captureLogger } from '../datadog/capture-logger.js';
import { consumeUntilAccepted, metricTotal } from '../consume-helpers.js';
import { eventually, hostWith, settingsFor } from '../helper/fixtures.js';
import { credentialsEnv, fakeKeys, recentLogs, SECRET_ACCESS_KEY, SESSION_TOKEN, storedSeqs } from './cw-test-kit.js';

/**
 * Issue 20, acceptance 2 for CloudWatch Logs, through the exporter helper with a persistent queue:
 * thousands of ~1 KiB records arrive complete, an outage and throttling are ridden out, a poison
 * record is dead-lettered alone, and neither the secret key nor the session token shows up in
 * logs, metrics or the dead-letter store.
 */

const GROUP = 'make/executions';
const STREAM = 'gateway-1';
const saved: Record<string, string | undefined> = {};
beforeAll(() => {
  for (const [k, v] of Object.entries(credentialsEnv())) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
});
afterAll(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

let fake: CloudWatchLogsFake;
let dir: string;
const cleanup: (() => Promise<void> | void)[] = [];
beforeEach(async () => {
  fake = await startCloudWatchLogsFake({ keys: fakeKeys() });
  dir = mkdtempSync(join(tmpdir(), 'cwl-exporter-'));
});
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

async function build(overrides: Record<string, unknown> = {}) {
  const storage = fileStorageExtensionFactory.create(settingsFor('file_storage'), fileStorageExtensionFactory.schema.parse({ directory: dir })) as FileStorageExtension;
  await storage.start(hostWith());
  cleanup.push(() => storage.shutdown());
  const telemetry = new Telemetry({ processMetrics: false });
  const logger = captureLogger();
  const config = awsCloudWatchLogsExporterFactory.schema.parse({
    log_group_name: GROUP,
    log_stream_name: STREAM,
    region: 'us-east-1',
    endpoint: fake.url,
    sending_queue: { storage: 'file_storage', num_consumers: 4 },
    retry_on_failure: { initial_interval: '20ms', max_interval: '200ms', max_elapsed_time: 0 },
    ...overrides,
  });
  const exporter: Component & LogsConsumer = awsCloudWatchLogsExporterFactory.create({ id: 'awscloudwatchlogs', telemetry, logger }, config);
  await exporter.start(hostWith({ file_storage: storage }));
  cleanup.push(() => exporter.shutdown());
  return { exporter, telemetry, logger };
}

describe('awscloudwatchlogs exporter (through the exporter helper)', () => {
  it('rides out an outage and throttling, delivers thousands of records, and dead-letters a poison record alone', async () => {
    const { exporter, telemetry, logger } = await build();
    fake.poison((m) => m.includes('POISON'));
    await fake.down();
    const requests = 6;
    const perRequest = 500;
    const start = Date.now() - 120_000;
    for (let r = 0; r < requests; r++) {
      const logs = recentLogs(perRequest, 1024, start + r * perRequest);
      const records = logs.resourceLogs[0].scopeLogs[0].logRecords;
      records.forEach((rec, i) => (rec.attributes[0].value = { intValue: BigInt(r * perRequest + i) }));
      if (r === 2) records[123].body = { stringValue: 'POISON record' };
      await consumeUntilAccepted(exporter, logs);
    }
    await eventually(async () => (await metricTotal(telemetry, 'gateway_exporter_retries_total')) >= requests, 'sends failing during the outage');
    fake.failNext(3, 'ThrottlingException', 'PutLogEvents');
    await fake.up();

    const poison = 2 * perRequest + 123;
    const expected = Array.from({ length: requests * perRequest }, (_, i) => i).filter((i) => i !== poison);
    await eventually(async () => (await metricTotal(telemetry, 'otelcol_exporter_sent_log_records_total')) === requests * perRequest, 'every request acknowledged');
    expect([...new Set(storedSeqs(fake.events(GROUP, STREAM)))].sort((a, b) => a - b)).toEqual(expected);
    expect(fake.calls.some((c) => c.type === 'ThrottlingException')).toBe(true);
    expect(await metricTotal(telemetry, 'gateway_exporter_dead_lettered_log_records_total')).toBe(1);

    await exporter.shutdown();
    let deadLetters;
    deadLetters = await deadLettersIn(dir, 'awscloudwatchlogs');
    expect(deadLetters).toMatchObject([{ records: 1, reason: expect.stringContaining('InvalidParameterException') }]);

    const everything = [logger.lines.join('\n'), await telemetry.metrics(), JSON.stringify(deadLetters)].join('\n');
    expect(everything).not.toContain(SECRET_ACCESS_KEY);
    expect(everything).not.toContain(SESSION_TOKEN);
  });

  it('counts records cut to the 256 KiB event limit', async () => {
    fake.createGroup(GROUP, [STREAM]);
    const { exporter, telemetry } = await build({ raw_log: true });
    const logs = recentLogs(2, 300 * 1024);
    await consumeUntilAccepted(exporter, logs);
    await eventually(async () => (await metricTotal(telemetry, 'gateway_awscloudwatchlogs_truncated_log_records_total')) === 2, 'truncations counted');
    await eventually(() => fake.events(GROUP, STREAM).length === 2, 'both records delivered');
    expect(fake.events(GROUP, STREAM).every((e) => e.message.endsWith('[Truncated...]'))).toBe(true);
  });

  it('fails to start without a region anywhere', async () => {
    const saved = { r: process.env.AWS_REGION, d: process.env.AWS_DEFAULT_REGION, c: process.env.AWS_CONFIG_FILE };
    process.env.AWS_CONFIG_FILE = join(dir, 'absent');
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    try {
      await expect(build({ region: undefined })).rejects.toThrow(/no AWS region/);
    } finally {
      if (saved.r !== undefined) process.env.AWS_REGION = saved.r;
      if (saved.d !== undefined) process.env.AWS_DEFAULT_REGION = saved.d;
      if (saved.c !== undefined) process.env.AWS_CONFIG_FILE = saved.c;
      else delete process.env.AWS_CONFIG_FILE;
    }
  });
});

