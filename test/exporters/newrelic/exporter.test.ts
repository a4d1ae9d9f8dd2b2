import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GatewayError } from '../../../src/errors.js';
import { newrelicExporterFactory } from '../../../src/exporters/newrelic/factory.js';
import type { Component, LogsConsumer } from '../../../src/pipeline/component.js';
import { Telemetry } from '../../../src/telemetry/telemetry.js';
import { startNewRelicIntake, type NewRelicIntake } from '../../fakes/newrelic-intake.js';
import { numberedLogs } from '../datadog/build-logs.js';
import { consumeUntilAccepted, metricTotal } from '../consume-helpers.js';
import { captureLogger } from '../datadog/capture-logger.js';

const API_KEY = 'nr-exporter-key-a1b2c3d4NRAL';
const host = { getExtension: () => undefined };

let intake: NewRelicIntake;
let exporter: (Component & LogsConsumer) | undefined;
beforeEach(async () => {
  intake = await startNewRelicIntake({ apiKey: API_KEY });
});
afterEach(async () => {
  await exporter?.shutdown();
  exporter = undefined;
  await intake.close();
});

function build(key = API_KEY) {
  const telemetry = new Telemetry({ processMetrics: false });
  const logger = captureLogger();
  const config = newrelicExporterFactory.schema.parse({
    api_key: key,
    endpoint: intake.url,
    retry_on_failure: { initial_interval: '10ms', max_interval: '50ms' },
  });
  exporter = newrelicExporterFactory.create({ id: 'newrelic', telemetry, logger }, config);
  return { exporter, telemetry, logger };
}


describe('New Relic exporter (through the exporter helper)', () => {
  it('delivers every consumed record within the size limit and counts them as sent', async () => {
    const { exporter, telemetry } = build();
    await exporter.start(host);
    await consumeUntilAccepted(exporter, numberedLogs(3_000, 1024));
    await vi.waitFor(() => expect(intake.recordCount()).toBe(3_000), { timeout: 30_000 });
    expect(intake.refusals).toEqual([]);
    await vi.waitFor(async () => expect(await metricTotal(telemetry, 'otelcol_exporter_sent_log_records_total')).toBe(3_000), { timeout: 30_000 });
  });

  it('delivers after New Relic throttles once', async () => {
    intake.throttle(1, 0);
    const { exporter } = build();
    await exporter.start(host);
    await consumeUntilAccepted(exporter, numberedLogs(20, 100));
    await vi.waitFor(() => expect(intake.recordCount()).toBe(20), { timeout: 30_000 });
    expect(intake.refusals).toEqual([429]);
  });

  it('fails a wrong license key for good without the key appearing in errors, logs or metrics', async () => {
    const wrongKey = 'nr-wrong-exporter-key-7766NRAL';
    const { exporter, telemetry, logger } = build(wrongKey);
    await exporter.start(host);
    const error = await exporter.consume(numberedLogs(3, 10)).then(() => undefined, (err: unknown) => err);
    await vi.waitFor(async () => expect(await metricTotal(telemetry, 'otelcol_exporter_send_failed_log_records_total')).toBe(3), { timeout: 30_000 });
    if (error !== undefined) {
      expect(error).toBeInstanceOf(GatewayError);
      expect((error as GatewayError).code).toBe('PERMANENT');
      expect(String((error as Error).message)).not.toContain(wrongKey);
    }
    expect(intake.recordCount()).toBe(0);
    expect(intake.refusals).toEqual([403]);
    expect(logger.lines.join('\n')).not.toContain(wrongKey);
    expect(await telemetry.metrics()).not.toContain(wrongKey);
  });
});
