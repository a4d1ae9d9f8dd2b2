import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { splunkHecExporterFactory } from '../../../src/exporters/splunk_hec/factory.js';
import { fileStorageExtensionFactory } from '../../../src/extensions/file_storage/factory.js';
import type { FileStorageExtension } from '../../../src/extensions/file_storage/extension.js';
import { newLogRecord } from '../../../src/pdata/model.js';
import { attr } from '../../../src/pdata/values.js';
import type { Component, LogsConsumer } from '../../../src/pipeline/component.js';
import { deadLettersIn } from '../../helpers/dead-letters.js';
import { startSplunkHec, type SplunkHecFake, type SplunkHecFakeOptions } from '../../fakes/splunk-hec.js';
import { BASE_TIME_NANOS, logsOf, numberedLogs } from '../datadog/build-logs.js';
import { consumeUntilAccepted, metricTotal } from '../consume-helpers.js';
import { hostWith, settingsFor } from '../helper/fixtures.js';

/** Issue 20, acceptances 2 and 4 for `splunk_hec`: through the exporter helper against the strict HEC fake. */

const TOKEN = '7d0c9a1e-5b2f-4c3d-8e9f-0a1b2c3d4e5f';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function fake(options: Partial<SplunkHecFakeOptions> = {}): Promise<SplunkHecFake> {
  const hec = await startSplunkHec({ token: TOKEN, indexes: ['main', 'make'], ...options });
  cleanup.push(() => hec.close());
  return hec;
}

async function exporterFor(hec: SplunkHecFake, extra: Record<string, unknown> = {}, storage?: FileStorageExtension) {
  const settings = settingsFor('splunk_hec');
  const config = splunkHecExporterFactory.schema.parse({
    token: TOKEN,
    endpoint: hec.url,
    retry_on_failure: { initial_interval: '10ms', max_interval: '50ms' },
    ...(storage ? { sending_queue: { storage: 'file_storage' } } : {}),
    ...extra,
  });
  const exporter = splunkHecExporterFactory.create(settings, config) as Component & LogsConsumer;
  await exporter.start(hostWith(storage ? { file_storage: storage } : {}));
  cleanup.push(() => exporter.shutdown());
  return { exporter, ...settings };
}

const waitEvents = (hec: SplunkHecFake, n: number) => vi.waitFor(() => expect(hec.events.length).toBeGreaterThanOrEqual(n), { timeout: 60_000, interval: 20 });
const seqs = (hec: SplunkHecFake) => hec.events.map((e) => e.fields!.seq as number);

describe('splunk_hec exporter', () => {
  it('delivers thousands of ~1 KiB records as HEC events, field by field, within max_content_length_logs', async () => {
    const hec = await fake();
    const { exporter, telemetry } = await exporterFor(hec, { source: 'make', sourcetype: 'make:execution', index: 'make', splunk_app_version: '1.2.3', max_content_length_logs: 200_000 });
    const logs = numberedLogs(3_000, 1024, [attr('service.name', 'checkout'), attr('host.name', 'gw-1'), attr('cloud', { region: 'eu' })]);
    logs.resourceLogs[0]!.scopeLogs[0]!.logRecords[5]!.traceId = new Uint8Array(16).fill(0xab);
    await consumeUntilAccepted(exporter, logs);
    await waitEvents(hec, 3_000);
    expect(seqs(hec)).toEqual(Array.from({ length: 3_000 }, (_, i) => i));
    expect(hec.events[5]).toEqual({
      time: 1767225600.005,
      host: 'gw-1',
      source: 'make',
      sourcetype: 'make:execution',
      index: 'make',
      event: expect.stringMatching(/^record 5 x+$/),
      fields: { 'service.name': 'checkout', 'cloud.region': 'eu', seq: 5, 'otel.log.severity.text': 'INFO', 'otel.log.severity.number': 9, trace_id: 'ab'.repeat(16) },
    });
    expect((hec.events[5]!.event as string).length).toBe(1024);
    expect(hec.requests.length).toBeGreaterThanOrEqual(15); // ~3.3 MB in requests of ≤ 200 kB
    expect(hec.requests[0]!.headers).toMatchObject({ __splunk_app_name: 'OpenTelemetry Collector Contrib', __splunk_app_version: '1.2.3', 'content-encoding': 'gzip' });
    await vi.waitFor(async () => expect(await metricTotal(telemetry, 'otelcol_exporter_sent_log_records_total')).toBe(3_000));
  });

  it('takes index, source and sourcetype from com.splunk.* attributes and leaves them out of fields', async () => {
    const hec = await fake();
    const { exporter } = await exporterFor(hec, { index: 'main' });
    await consumeUntilAccepted(exporter, logsOf([newLogRecord({ timeUnixNano: BASE_TIME_NANOS, body: { stringValue: 'x' }, attributes: [attr('com.splunk.index', 'make'), attr('com.splunk.sourcetype', 'st'), attr('k', 'v')] })]));
    await waitEvents(hec, 1);
    expect(hec.events[0]).toMatchObject({ index: 'make', sourcetype: 'st', fields: { k: 'v' } });
    expect(hec.events[0]!.fields).not.toHaveProperty('com.splunk.index');
  });

  it('rides out Splunk throttling as busy (503 code 9) and an outage', async () => {
    const hec = await fake();
    hec.busyNext(4);
    const { exporter, telemetry } = await exporterFor(hec);
    await consumeUntilAccepted(exporter, numberedLogs(100, 300));
    await waitEvents(hec, 100);
    expect(hec.refusals).toEqual(['503/9', '503/9', '503/9', '503/9']);
    expect(seqs(hec)).toEqual(Array.from({ length: 100 }, (_, i) => i));

    hec.setOutage(true);
    await consumeUntilAccepted(exporter, numberedLogs(50, 300));
    await vi.waitFor(async () => expect(await metricTotal(telemetry, 'otelcol_exporter_send_failed_log_records_total')).toBeGreaterThanOrEqual(100), { timeout: 30_000 });
    hec.setOutage(false);
    await waitEvents(hec, 150);
    expect(seqs(hec).slice(100)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('dead-letters a poison event (incorrect index, code 7) alone and delivers the rest once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hec-poison-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const storage = fileStorageExtensionFactory.create(settingsFor('file_storage'), fileStorageExtensionFactory.schema.parse({ directory: dir })) as FileStorageExtension;
    await storage.start(hostWith());
    cleanup.push(() => storage.shutdown());
    const hec = await fake();
    const { exporter, telemetry } = await exporterFor(hec, {}, storage);
    const logs = numberedLogs(10, 100);
    logs.resourceLogs[0]!.scopeLogs[0]!.logRecords[6]!.attributes.push(attr('com.splunk.index', 'no_such_index'));
    await consumeUntilAccepted(exporter, logs);
    await vi.waitFor(async () => expect(await metricTotal(telemetry, 'gateway_exporter_dead_lettered_log_records_total')).toBe(1), { timeout: 30_000 });
    expect(seqs(hec)).toEqual([0, 1, 2, 3, 4, 5, 7, 8, 9]);
    expect(hec.refusals).toEqual(['400/7']);
    const [row] = await deadLettersIn(dir, 'splunk_hec');
    expect(row).toMatchObject({ records: 1 });
    expect(row!.reason).toContain('Incorrect index');
  });

  it('dead-letters an event above max_event_size without sending it', async () => {
    const hec = await fake();
    const { exporter, telemetry } = await exporterFor(hec, { max_event_size: 2_000 });
    const logs = numberedLogs(3, 100);
    logs.resourceLogs[0]!.scopeLogs[0]!.logRecords[1]!.body = { stringValue: 'y'.repeat(5_000) };
    await consumeUntilAccepted(exporter, logs);
    await vi.waitFor(async () => expect(await metricTotal(telemetry, 'gateway_exporter_dead_lettered_log_records_total')).toBe(1), { timeout: 30_000 });
    expect(seqs(hec)).toEqual([0, 2]);
  });

  it('fails a wrong token for good without the token appearing anywhere, even when echoed', async () => {
    const hec = await fake({ echoCredentials: true });
    const wrong = 'wrong-hec-token-0a9b8c7d6e';
    const { exporter, telemetry, logger } = await exporterFor(hec, { token: wrong });
    await exporter.consume(numberedLogs(3, 10));
    await vi.waitFor(async () => expect(await metricTotal(telemetry, 'otelcol_exporter_send_failed_log_records_total')).toBe(3), { timeout: 30_000 });
    expect(hec.refusals).toEqual(['403/4']);
    const everything = JSON.stringify(logger.lines) + (await telemetry.metrics());
    expect(everything).toContain('Invalid token');
    expect(everything).not.toContain(wrong);
  });
});

describe('splunk_hec exporter with indexer acknowledgment', () => {
  const CHANNEL = '2cb5a5d1-7a2e-4f0c-9a5d-0f4a3c1b2e11';
  const ack = { ack: { enabled: true, channel: CHANNEL, poll_interval: '50ms', timeout: '1s' } };

  it('acknowledges a request only after HEC reports it indexed, on the configured channel', async () => {
    const hec = await fake({ ack: true });
    const { exporter, telemetry } = await exporterFor(hec, ack);
    await consumeUntilAccepted(exporter, numberedLogs(20, 100));
    await vi.waitFor(async () => expect(await metricTotal(telemetry, 'otelcol_exporter_sent_log_records_total')).toBe(20), { timeout: 30_000 });
    expect(hec.requests.every((r) => r.headers['x-splunk-request-channel'] === CHANNEL)).toBe(true);
    expect(hec.ackPolls.flatMap((p) => Object.entries(p.answered).filter(([, v]) => v).map(([id]) => Number(id)))).toEqual(hec.requests.map((r) => r.ackId));
  });

  it('resends a request whose ack is lost: the events are indexed, not lost', async () => {
    const hec = await fake({ ack: true });
    hec.loseAcks(1);
    const { exporter, telemetry } = await exporterFor(hec, ack);
    await consumeUntilAccepted(exporter, numberedLogs(10, 100));
    await vi.waitFor(async () => expect(await metricTotal(telemetry, 'otelcol_exporter_sent_log_records_total')).toBe(10), { timeout: 30_000 });
    expect(seqs(hec)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(hec.requests).toHaveLength(2); // the lost one and its resend
    expect(await metricTotal(telemetry, 'otelcol_exporter_send_failed_log_records_total')).toBe(10);
  });

  it('resends a request acknowledged after ack.timeout; a late ack within it is simply waited for', async () => {
    const hec = await fake({ ack: true });
    hec.delayAcks(1, 300); // within the 1 s ack.timeout
    const { exporter, telemetry } = await exporterFor(hec, ack);
    await consumeUntilAccepted(exporter, numberedLogs(5, 100));
    await vi.waitFor(async () => expect(await metricTotal(telemetry, 'otelcol_exporter_sent_log_records_total')).toBe(5), { timeout: 30_000 });
    expect(hec.requests).toHaveLength(1);

    hec.delayAcks(1, 3_000); // beyond it: resent; Splunk indexes both copies (at-least-once)
    await consumeUntilAccepted(exporter, numberedLogs(5, 100));
    await vi.waitFor(async () => expect(await metricTotal(telemetry, 'otelcol_exporter_sent_log_records_total')).toBe(10), { timeout: 30_000 });
    expect(hec.requests).toHaveLength(3);
    await waitEvents(hec, 15);
    expect(seqs(hec).slice(5).sort((a, b) => a - b)).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
  });
});
