import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { elasticsearchExporterFactory } from '../../../src/exporters/elasticsearch/factory.js';
import { fileStorageExtensionFactory } from '../../../src/extensions/file_storage/factory.js';
import type { FileStorageExtension } from '../../../src/extensions/file_storage/extension.js';
import { newLogRecord } from '../../../src/pdata/model.js';
import { attr } from '../../../src/pdata/values.js';
import type { Component, LogsConsumer } from '../../../src/pipeline/component.js';
import { deadLettersIn } from '../../helpers/dead-letters.js';
import { startElasticsearchBulk, type ElasticsearchBulkFake } from '../../fakes/elasticsearch-bulk.js';
import { BASE_TIME_NANOS, logsOf, numberedLogs } from '../datadog/build-logs.js';
import { consumeUntilAccepted, metricTotal } from '../consume-helpers.js';
import { hostWith, settingsFor } from '../helper/fixtures.js';

/** Issue 20, acceptance 2 for `elasticsearch`: through the exporter helper against the strict `_bulk` fake. */

const USER = 'elastic';
const PASSWORD = 'es-exporter-password-5511';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function fake(options: { echoCredentialsOnAuthFailure?: boolean } = {}): Promise<ElasticsearchBulkFake> {
  const es = await startElasticsearchBulk({ auth: { user: USER, password: PASSWORD, apiKey: 'right-api-key-000' }, ...options });
  cleanup.push(() => es.close());
  return es;
}

async function exporterFor(es: ElasticsearchBulkFake, extra: Record<string, unknown> = {}, storage?: FileStorageExtension) {
  const settings = settingsFor('elasticsearch');
  const config = elasticsearchExporterFactory.schema.parse({
    endpoint: es.url,
    user: USER,
    password: PASSWORD,
    retry_on_failure: { initial_interval: '10ms', max_interval: '50ms' },
    ...(storage ? { sending_queue: { storage: 'file_storage' } } : {}),
    ...extra,
  });
  const exporter = elasticsearchExporterFactory.create(settings, config) as Component & LogsConsumer;
  await exporter.start(hostWith(storage ? { file_storage: storage } : {}));
  cleanup.push(() => exporter.shutdown());
  return { exporter, ...settings };
}

async function storageIn(dir: string): Promise<FileStorageExtension> {
  const ext = fileStorageExtensionFactory.create(settingsFor('file_storage'), fileStorageExtensionFactory.schema.parse({ directory: dir })) as FileStorageExtension;
  await ext.start(hostWith());
  return ext;
}

const waitCount = (es: ElasticsearchBulkFake, n: number) => vi.waitFor(() => expect(es.count()).toBe(n), { timeout: 60_000, interval: 20 });

describe('elasticsearch exporter', () => {
  it('indexes thousands of ~1 KiB records field by field into the default data stream', async () => {
    const es = await fake();
    const { exporter, telemetry } = await exporterFor(es);
    await consumeUntilAccepted(exporter, numberedLogs(3_000, 1024));
    await waitCount(es, 3_000);
    const docs = es.documents('logs-generic.otel-default');
    expect(docs).toHaveLength(3_000);
    const bySeq = new Map(docs.map((d) => [(d.attributes as Record<string, number>).seq, d]));
    expect([...bySeq.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 3_000 }, (_, i) => i));
    expect(bySeq.get(7)).toMatchObject({
      '@timestamp': '2026-01-01T00:00:00.007000000Z',
      severity_text: 'INFO',
      severity_number: 9,
      body: { text: expect.stringMatching(/^record 7 x+$/) },
      attributes: { seq: 7 },
      resource: { attributes: { 'service.name': 'checkout' } },
      scope: { name: 'test', version: '1' },
      data_stream: { type: 'logs', dataset: 'generic.otel', namespace: 'default' },
    });
    expect(((bySeq.get(7)!.body as { text: string }).text).length).toBe(1024);
    await vi.waitFor(async () => expect(await metricTotal(telemetry, 'otelcol_exporter_sent_log_records_total')).toBe(3_000));
  });

  it('splits a queued request into bulk requests of at most flush.bytes', async () => {
    const es = await fake();
    await exporterFor(es, { flush: { bytes: 100_000 } }).then(({ exporter }) => consumeUntilAccepted(exporter, numberedLogs(500, 1024)));
    await waitCount(es, 500);
    expect(es.bulkRequests.length).toBeGreaterThanOrEqual(6);
    expect(es.bulkRequests.every((r) => r.length <= 100)).toBe(true);
  });

  it('rides out 503s and an outage, and retries only the items Elasticsearch rejected with 429', async () => {
    const es = await fake();
    es.failNext(3, 503);
    const { exporter, telemetry } = await exporterFor(es);
    await consumeUntilAccepted(exporter, numberedLogs(50, 200));
    await waitCount(es, 50);
    expect(es.refusals).toEqual([503, 503, 503]);

    es.setOutage(true);
    await consumeUntilAccepted(exporter, numberedLogs(30, 200));
    await vi.waitFor(async () => expect(await metricTotal(telemetry, 'otelcol_exporter_send_failed_log_records_total')).toBeGreaterThanOrEqual(60), { timeout: 30_000 });
    expect(es.count()).toBe(50);
    es.setOutage(false);
    await waitCount(es, 80);

    es.rejectItems(5);
    await consumeUntilAccepted(exporter, numberedLogs(20, 200));
    await waitCount(es, 100);
    const last = es.bulkRequests.slice(-2);
    expect(last[0]!.filter((i) => i.status === 429)).toHaveLength(5);
    // The retry carried the five rejected items, nothing already indexed.
    expect(last[1]!.map((i) => i.status)).toEqual([201, 201, 201, 201, 201]);
  });

  it('dead-letters a poison document alone with its item error; the rest is indexed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'es-poison-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const storage = await storageIn(dir);
    cleanup.push(() => storage.shutdown());
    const es = await fake();
    const { exporter, telemetry } = await exporterFor(es, { logs_index: 'orders' }, storage);
    const records = [1, 2, 3, 4].map((n) => newLogRecord({ timeUnixNano: BASE_TIME_NANOS, body: { stringValue: `order ${n}` }, attributes: [attr('amount', n === 3 ? 'lots' : n)] }));
    // The first document maps `attributes.amount` as a number; "lots" cannot be one.
    await consumeUntilAccepted(exporter, logsOf(records.slice(0, 1)));
    await waitCount(es, 1);
    await consumeUntilAccepted(exporter, logsOf(records.slice(1)));
    await waitCount(es, 3);
    await vi.waitFor(async () => expect(await metricTotal(telemetry, 'gateway_exporter_dead_lettered_log_records_total')).toBe(1), { timeout: 30_000 });
    expect(es.bulkRequests).toHaveLength(2); // never the whole batch resent for one bad document
    expect(es.documents('orders').map((d) => (d.body as { text: string }).text).sort()).toEqual(['order 1', 'order 2', 'order 4']);
    await vi.waitFor(async () => expect(await metricTotal(telemetry, 'otelcol_exporter_sent_log_records_total')).toBe(4));
    const [row] = await deadLettersIn(dir, 'elasticsearch');
    expect(row).toMatchObject({ records: 1 });
    expect(row!.reason).toContain('document_parsing_exception');
  });

  it('writes Make executions under their execution id: a redelivery is a 409, counted as delivered', async () => {
    const es = await fake();
    const { exporter, telemetry } = await exporterFor(es);
    const execution = (id: string) => newLogRecord({ timeUnixNano: BASE_TIME_NANOS, eventName: 'make.scenario.execution', body: { stringValue: `execution ${id}` }, attributes: [attr('make.execution.id', id)] });
    await consumeUntilAccepted(exporter, logsOf([execution('e1'), execution('e2')]));
    await waitCount(es, 2);
    await consumeUntilAccepted(exporter, logsOf([execution('e2'), execution('e3')]));
    await waitCount(es, 3);
    expect([...es.indices.get('logs-generic.otel-default')!.keys()].sort()).toEqual(['e1', 'e2', 'e3']);
    await vi.waitFor(async () => expect(await metricTotal(telemetry, 'otelcol_exporter_elasticsearch_conflicts_total')).toBe(1));
    expect(await metricTotal(telemetry, 'gateway_exporter_dead_lettered_log_records_total')).toBe(0);
  });

  it('honours elasticsearch.document_id with logs_dynamic_id and keeps it out of the document', async () => {
    const es = await fake();
    const { exporter } = await exporterFor(es, { logs_dynamic_id: { enabled: true }, logs_index: 'plain-index' });
    const rec = (id: string, v: number) => newLogRecord({ timeUnixNano: BASE_TIME_NANOS, body: { stringValue: `v${v}` }, attributes: [attr('elasticsearch.document_id', id)] });
    await consumeUntilAccepted(exporter, logsOf([rec('doc-1', 1)]));
    await waitCount(es, 1);
    await consumeUntilAccepted(exporter, logsOf([rec('doc-1', 2), rec('doc-2', 1)]));
    await waitCount(es, 2);
    await vi.waitFor(() => expect(es.indices.get('plain-index')!.get('doc-1')!.body).toEqual({ text: 'v2' }));
    expect(es.indices.get('plain-index')!.get('doc-1')!.attributes).toBeUndefined();
  });

  it('fails wrong credentials for good without the password appearing anywhere, even when echoed', async () => {
    const es = await fake({ echoCredentialsOnAuthFailure: true });
    const wrong = 'es-wrong-password-31337';
    const { exporter, telemetry, logger } = await exporterFor(es, { password: wrong });
    await exporter.consume(numberedLogs(3, 10));
    await vi.waitFor(async () => expect(await metricTotal(telemetry, 'otelcol_exporter_send_failed_log_records_total')).toBe(3), { timeout: 30_000 });
    expect(es.refusals).toEqual([401]);
    const basicWrong = Buffer.from(`${USER}:${wrong}`).toString('base64');
    const everything = JSON.stringify(logger.lines) + (await telemetry.metrics());
    expect(everything).toContain('security_exception');
    expect(everything).not.toContain(wrong);
    expect(everything).not.toContain(basicWrong);
  });

  it('never shows a refused api_key either, even when echoed', async () => {
    const es = await fake({ echoCredentialsOnAuthFailure: true });
    const wrongKey = 'd3Jvbmcta2V5OmFwaS1rZXktc2VjcmV0LTc3';
    const settings = settingsFor('elasticsearch');
    const config = elasticsearchExporterFactory.schema.parse({ endpoint: es.url, api_key: wrongKey, retry_on_failure: { initial_interval: '10ms' } });
    const exporter = elasticsearchExporterFactory.create(settings, config) as Component & LogsConsumer;
    await exporter.start(hostWith());
    cleanup.push(() => exporter.shutdown());
    await exporter.consume(numberedLogs(2, 10));
    await vi.waitFor(async () => expect(await metricTotal(settings.telemetry, 'otelcol_exporter_send_failed_log_records_total')).toBe(2), { timeout: 30_000 });
    const everything = JSON.stringify(settings.logger.lines) + (await settings.telemetry.metrics());
    expect(everything).toContain('unable to authenticate');
    expect(everything).not.toContain(wrongKey);
  });
});
