import { afterEach, describe, expect, it, vi } from 'vitest';
import { azureLogsIngestionExporterFactory } from '../../../src/exporters/azure_logs_ingestion/factory.js';
import { PermanentError } from '../../../src/errors.js';
import { Telemetry } from '../../../src/telemetry/telemetry.js';
import { AzureIngestionFake } from '../../fakes/azure-ingestion.js';
import { recordingLogger, sampleLogs } from '../googlecloud/sample-logs.js';

const SECRET = 'Zq8Q~another-secret-that-must-stay-hidden';
const ids = { tenantId: 'tenant-1', clientId: 'client-1', dcrImmutableId: 'dcr-0123456789abcdef0123456789abcdef', streamName: 'Custom-OTelLogs' };
const host = { getExtension: () => undefined };

let fake: AzureIngestionFake;
let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  await fake?.close();
});

function create(extra: Record<string, unknown>, secret = SECRET) {
  const telemetry = new Telemetry({ processMetrics: false });
  const logger = recordingLogger();
  const config = azureLogsIngestionExporterFactory.schema.parse({
    endpoint: fake.baseUrl,
    authority_host: fake.baseUrl,
    dcr_immutable_id: ids.dcrImmutableId,
    stream_name: ids.streamName,
    tenant_id: ids.tenantId,
    client_id: ids.clientId,
    client_secret: secret,
    ...extra,
  });
  const exporter = azureLogsIngestionExporterFactory.create({ id: 'azure_logs_ingestion', telemetry, logger }, config);
  stop = () => exporter.shutdown();
  return { exporter, telemetry, logger };
}

describe('azure_logs_ingestion exporter (factory + exporter helper)', () => {
  it('delivers through the queue after a throttled first attempt', async () => {
    fake = await new AzureIngestionFake({ ...ids, clientSecret: SECRET }).start();
    const { exporter, telemetry } = create({ retry_on_failure: { initial_interval: '10ms', max_interval: '20ms' } });
    await exporter.start(host);
    fake.throttleNext(1, 0);
    await exporter.consume(sampleLogs(20));
    await vi.waitFor(() => expect(fake.rows).toHaveLength(20), { timeout: 10_000 });
    // The backend holds the rows a moment before the exporter acknowledges and counts them.
    await vi.waitFor(async () => expect(await telemetry.metrics()).toMatch(/otelcol_exporter_sent_log_records_total\{exporter="azure_logs_ingestion"\} 20/), { timeout: 10_000 });
  });

  it('refuses with a permanent error on a wrong secret, keeping the secret out of error, logs and metrics', async () => {
    fake = await new AzureIngestionFake({ ...ids, clientSecret: 'what-entra-expects' }).start();
    const { exporter, telemetry, logger } = create({ sending_queue: { enabled: false } });
    await exporter.start(host);
    const err = await exporter.consume(sampleLogs(2)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toContain('invalid_client');
    expect((err as Error).message).not.toContain(SECRET);
    expect(logger.lines.join('\n')).not.toContain(SECRET);
    expect(await telemetry.metrics()).not.toContain(SECRET);
    expect(fake.rows).toHaveLength(0);
  });
});
