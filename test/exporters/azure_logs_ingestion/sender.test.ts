import { afterEach, describe, expect, it } from 'vitest';
import { azureLogsIngestionSchema, ingestionUrl } from '../../../src/exporters/azure_logs_ingestion/config.js';
import { AzureLogsIngestionSender, MAX_FIELD_BYTES, MAX_REQUEST_BYTES } from '../../../src/exporters/azure_logs_ingestion/sender.js';
import { newLogRecord, type Logs } from '../../../src/pdata/model.js';
import { attr } from '../../../src/pdata/values.js';
import { AzureIngestionFake, type AzureFakeOptions } from '../../fakes/azure-ingestion.js';
import { exportRequest, recordingLogger, sampleLogs } from '../googlecloud/sample-logs.js';

const AZURE = {
  tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
  clientId: '0c5f8a8e-1d3c-4b2e-9a55-3b5e3f1a2b3c',
  clientSecret: 'Xy8Q~s3cr3t-value-that-must-not-leak',
  dcrImmutableId: 'dcr-00000000000000000000000000000000',
  streamName: 'Custom-OTelLogs',
};

let fake: AzureIngestionFake;
afterEach(() => fake?.close());

function azureConfig(baseUrl: string, extra: Record<string, unknown> = {}) {
  return azureLogsIngestionSchema.parse({
    endpoint: baseUrl,
    authority_host: baseUrl,
    dcr_immutable_id: AZURE.dcrImmutableId,
    stream_name: AZURE.streamName,
    tenant_id: AZURE.tenantId,
    client_id: AZURE.clientId,
    client_secret: AZURE.clientSecret,
    ...extra,
  });
}

async function setup(fakeOptions: Partial<AzureFakeOptions> = {}, extra: Record<string, unknown> = {}, logger = recordingLogger()) {
  fake = await new AzureIngestionFake({ ...AZURE, ...fakeOptions }).start();
  return new AzureLogsIngestionSender(azureConfig(fake.baseUrl, extra) as never, { logger });
}

const send = (s: AzureLogsIngestionSender, logs: Logs = sampleLogs(3)) => s.send(exportRequest(logs), AbortSignal.timeout(30_000));
const seqs = () => fake.rows.map((r) => (r.Attributes as { seq: number }).seq);

describe('azure_logs_ingestion sender against a strict Logs Ingestion fake', () => {
  it.each(['gzip', 'none'])('delivers thousands of 1 KiB records complete, in calls under 1 MB (compression %s)', async (compression) => {
    const s = await setup({}, { compression });
    const n = 5000;
    expect(await send(s, sampleLogs(n))).toEqual({ kind: 'success' });
    expect(fake.uploads.length).toBeGreaterThanOrEqual(5);
    for (const u of fake.uploads) {
      expect(u.jsonBytes).toBeLessThanOrEqual(MAX_REQUEST_BYTES);
      expect(u.gzip).toBe(compression === 'gzip');
    }
    expect(seqs()).toEqual([...Array(n).keys()]);
    expect(fake.tokenRequests).toBe(1);
  });

  it('maps a record field by field onto a row', async () => {
    const s = await setup();
    const logs = sampleLogs(0, 0, { 'service.name': 'checkout', 'k8s.pod.uid': 'abc' });
    logs.resourceLogs[0].scopeLogs[0].logRecords.push(
      newLogRecord({
        timeUnixNano: 1_764_240_000_123_456_789n,
        observedTimeUnixNano: 1_764_240_001_000_000_000n,
        severityNumber: 17,
        severityText: 'ERROR',
        eventName: 'make.scenario.execution',
        body: { kvlistValue: { values: [attr('user', 'ann'), attr('n', 3)] } },
        attributes: [attr('http.status', 503), attr('ok', false), attr('tags', ['a', 'b'])],
        traceId: Uint8Array.from(Buffer.from('0102030405060708090a0b0c0d0e0f10', 'hex')),
        spanId: Uint8Array.from(Buffer.from('a1a2a3a4a5a6a7a8', 'hex')),
      }),
      newLogRecord({ observedTimeUnixNano: 1_764_240_002_000_000_000n, body: { stringValue: 'plain' } }),
    );
    expect(await send(s, logs)).toEqual({ kind: 'success' });
    expect(fake.rows[0]).toEqual({
      TimeGenerated: '2025-11-27T10:40:00.1234567Z',
      ObservedTimestamp: '2025-11-27T10:40:01.0000000Z',
      SeverityText: 'ERROR',
      SeverityNumber: 17,
      Body: { user: 'ann', n: 3 },
      TraceId: '0102030405060708090a0b0c0d0e0f10',
      SpanId: 'a1a2a3a4a5a6a7a8',
      Attributes: { 'http.status': 503, ok: false, tags: ['a', 'b'] },
      Resource: { 'service.name': 'checkout', 'k8s.pod.uid': 'abc' },
      EventName: 'make.scenario.execution',
      ScopeName: 'test-scope',
    });
    expect(fake.rows[1]).toMatchObject({ TimeGenerated: '2025-11-27T10:40:02.0000000Z', Body: 'plain', TraceId: '', SpanId: '', SeverityNumber: 0 });
  });

  it('refreshes an expired token and delivers the same batch in the same send', async () => {
    const s = await setup();
    expect(await send(s, sampleLogs(2))).toEqual({ kind: 'success' });
    fake.expireTokens();
    expect(await send(s, sampleLogs(4))).toEqual({ kind: 'success' });
    expect(fake.tokenRequests).toBe(2);
    expect(fake.rows).toHaveLength(6);
  });

  it('shares one token request among concurrent sends', async () => {
    const s = await setup();
    const results = await Promise.all([send(s), send(s), send(s), send(s)]);
    expect(results.every((r) => r.kind === 'success')).toBe(true);
    expect(fake.tokenRequests).toBe(1);
    expect(fake.rows).toHaveLength(12);
  });

  it('fails permanently on a wrong client secret, and the secret appears in neither reason nor log', async () => {
    const logger = recordingLogger();
    const s = await setup({ clientSecret: 'the-secret-azure-knows' }, {}, logger);
    const result = await send(s);
    expect(result).toMatchObject({ kind: 'permanent', reason: expect.stringContaining('AADSTS7000215') });
    expect(JSON.stringify(result)).not.toContain(AZURE.clientSecret);
    expect(logger.lines.join('\n')).not.toContain(AZURE.clientSecret);
    expect(fake.rows).toHaveLength(0);
  });

  it('fails permanently on an unknown tenant', async () => {
    const s = await setup({ tenantId: 'another-tenant' });
    expect(await send(s)).toMatchObject({ kind: 'permanent', reason: expect.stringContaining('AADSTS90002') });
  });

  it('fails permanently on an unknown data collection rule', async () => {
    const s = await setup({ dcrImmutableId: 'dcr-ffffffffffffffffffffffffffffffff' });
    expect(await send(s)).toMatchObject({ kind: 'permanent', reason: expect.stringContaining('HTTP 404') });
  });

  it('halves a call Azure refuses with 413 until every row is delivered', async () => {
    const s = await setup({ maxCallBytes: 300_000 }, { compression: 'none' });
    expect(await send(s, sampleLogs(2000))).toEqual({ kind: 'success' });
    expect(seqs()).toEqual([...Array(2000).keys()]);
    for (const u of fake.uploads) expect(u.jsonBytes).toBeLessThanOrEqual(300_000);
  });

  it('cuts the Body of a row above the call limit to 64 KiB and delivers it', async () => {
    const s = await setup();
    const logs = sampleLogs(2);
    logs.resourceLogs[0].scopeLogs[0].logRecords[1].body = { stringValue: 'z'.repeat(2_000_000) };
    expect(await send(s, logs)).toEqual({ kind: 'success' });
    expect(seqs()).toEqual([0, 1]);
    expect(fake.rows[1].Body).toBe('z'.repeat(MAX_FIELD_BYTES));
  });

  it('hands back a row that cannot fit at all for the dead-letter store and delivers the rest', async () => {
    const s = await setup();
    const logs = sampleLogs(3);
    const records = logs.resourceLogs[0].scopeLogs[0].logRecords;
    records[1].attributes.push(attr('blob', 'q'.repeat(1_500_000)));
    const result = await send(s, logs);
    expect(result).toMatchObject({ kind: 'success', rejected: 1 });
    expect(seqs()).toEqual([0, 2]);
    const rejected = (result as { rejectedLogs: Logs }).rejectedLogs;
    expect(rejected.resourceLogs[0].scopeLogs[0].logRecords).toEqual([records[1]]);
  });

  it('reports an unreachable endpoint as retryable', async () => {
    fake = await new AzureIngestionFake(AZURE).start();
    const s = new AzureLogsIngestionSender(azureConfig(fake.baseUrl, { endpoint: 'http://127.0.0.1:1' }) as never, { logger: recordingLogger() });
    expect(await send(s)).toMatchObject({ kind: 'retryable', reason: expect.stringContaining('network error') });
  });
});

describe('azure_logs_ingestion config', () => {
  const minimal = {
    endpoint: 'https://my-dce.eastus-1.ingest.monitor.azure.com/',
    dcr_immutable_id: AZURE.dcrImmutableId,
    stream_name: AZURE.streamName,
    tenant_id: AZURE.tenantId,
    client_id: AZURE.clientId,
    client_secret: AZURE.clientSecret,
  };

  it('defaults authority_host to Entra ID public cloud and compresses with gzip', () => {
    const c = azureLogsIngestionSchema.parse(minimal);
    expect(c.authority_host).toBe('https://login.microsoftonline.com');
    expect(c.compression).toBe('gzip');
    expect(c.endpoint).toBe('https://my-dce.eastus-1.ingest.monitor.azure.com');
  });

  it('builds the documented upload URL', () => {
    expect(ingestionUrl(azureLogsIngestionSchema.parse(minimal))).toBe(
      `https://my-dce.eastus-1.ingest.monitor.azure.com/dataCollectionRules/${AZURE.dcrImmutableId}/streams/${AZURE.streamName}?api-version=2023-01-01`,
    );
  });

  it('refuses unknown keys and missing credentials', () => {
    expect(azureLogsIngestionSchema.safeParse({ ...minimal, stream: 'x' }).success).toBe(false);
    const { client_secret: _omit, ...noSecret } = minimal;
    expect(azureLogsIngestionSchema.safeParse(noSecret).success).toBe(false);
  });
});
