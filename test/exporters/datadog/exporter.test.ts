import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { datadogExporterFactory } from '../../../src/exporters/datadog/factory.js';
import { GatewayError } from '../../../src/errors.js';
import type { Component, LogsConsumer } from '../../../src/pipeline/component.js';
import { Telemetry } from '../../../src/telemetry/telemetry.js';
import { startDatadogIntake, type DatadogIntake } from '../../fakes/datadog-intake.js';
import { numberedLogs } from './build-logs.js';
import { consumeUntilAccepted, metricTotal } from '../consume-helpers.js';
import { captureLogger } from './capture-logger.js';

const API_KEY = 'dd-exporter-key-a1b2c3d4e5f6';
const host = { getExtension: () => undefined };

let intake: DatadogIntake;
let exporter: (Component & LogsConsumer) | undefined;
beforeEach(async () => {
  intake = await startDatadogIntake({ apiKey: API_KEY });
});
afterEach(async () => {
  await exporter?.shutdown();
  exporter = undefined;
  await intake.close();
});

function build(key = API_KEY) {
  const telemetry = new Telemetry({ processMetrics: false });
  const logger = captureLogger();
  const config = datadogExporterFactory.schema.parse({
    api: { key },
    logs: { endpoint: intake.url },
    retry_on_failure: { initial_interval: '10ms', max_interval: '50ms' },
  });
  exporter = datadogExporterFactory.create({ id: 'datadog', telemetry, logger }, config);
  return { exporter, telemetry, logger };
}


describe('Datadog exporter (through the exporter helper)', () => {
  it('delivers every consumed record and counts them as sent', async () => {
    const { exporter, telemetry } = build();
    await exporter.start(host);
    await consumeUntilAccepted(exporter, numberedLogs(2_500, 1024));
    await vi.waitFor(() => expect(intake.entries.length).toBe(2_500), { timeout: 30_000 });
    expect(intake.entries.map((e) => e.seq)).toEqual(Array.from({ length: 2_500 }, (_, i) => i));
    await vi.waitFor(async () => expect(await metricTotal(telemetry, 'otelcol_exporter_sent_log_records_total')).toBe(2_500), { timeout: 30_000 });
  });

  it('delivers after Datadog throttles once', async () => {
    intake.throttle(1, 0);
    const { exporter } = build();
    await exporter.start(host);
    await consumeUntilAccepted(exporter, numberedLogs(20, 100));
    await vi.waitFor(() => expect(intake.entries.length).toBe(20), { timeout: 30_000 });
    expect(intake.refusals).toEqual([429]);
  });

  it('fails a wrong API key for good without the key appearing in errors, logs or metrics', async () => {
    const wrongKey = 'dd-wrong-exporter-key-99887766';
    const { exporter, telemetry, logger } = build(wrongKey);
    await exporter.start(host);
    const error = await exporter.consume(numberedLogs(3, 10)).then(() => undefined, (err: unknown) => err);
    await vi.waitFor(async () => expect(await metricTotal(telemetry, 'otelcol_exporter_send_failed_log_records_total')).toBe(3), { timeout: 30_000 });
    if (error !== undefined) {
      expect(error).toBeInstanceOf(GatewayError);
      expect((error as GatewayError).code).toBe('PERMANENT');
      expect(String((error as Error).message)).not.toContain(wrongKey);
    }
    expect(intake.entries).toEqual([]);
    expect(intake.refusals).toEqual([403]);
    expect(logger.lines.join('\n')).not.toContain(wrongKey);
    expect(await telemetry.metrics()).not.toContain(wrongKey);
  });
});
