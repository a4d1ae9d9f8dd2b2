import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { otlphttpExporterFactory } from '../../../src/exporters/otlphttp/factory.js';
import type { Component, LogsConsumer } from '../../../src/pipeline/component.js';
import { OtlpHttpBackend } from '../../fakes/otlp-http-backend.js';
import { bodies, logsWith, noExtensions, settings } from '../otlp/test-kit.js';

let backend: OtlpHttpBackend;
let exporter: (Component & LogsConsumer) | undefined;

beforeEach(async () => {
  backend = await OtlpHttpBackend.start();
});
afterEach(async () => {
  await exporter?.shutdown();
  exporter = undefined;
  await backend.close();
});

async function startExporter(extra: Record<string, unknown> = {}) {
  const s = settings('otlphttp/test');
  const config = otlphttpExporterFactory.schema.parse({ endpoint: backend.url, retry_on_failure: { initial_interval: '10ms', max_interval: '20ms' }, ...extra });
  exporter = otlphttpExporterFactory.create(s, config);
  await exporter.start(noExtensions);
  return s;
}

describe('otlphttp exporter (factory, queue and retry around the sender)', () => {
  it('delivers consumed logs to the backend', async () => {
    await startExporter();
    await exporter!.consume(logsWith('one', 'two'));
    await backend.waitForRecords(2);
    expect(bodies(backend.records())).toEqual(['one', 'two']);
  });

  it('keeps retrying through 503s and Retry-After until the backend accepts', async () => {
    backend.failNext(2, { status: 503, retryAfter: 0 });
    await startExporter();
    await exporter!.consume(logsWith('retry-me'));
    await backend.waitForRecords(1);
    expect(backend.refusals.map((r) => r.status)).toEqual([503, 503]);
    expect(bodies(backend.records())).toEqual(['retry-me']);
  });

  it('delivers again after the backend was down (connections refused) and came back', async () => {
    await backend.goDown('refuse');
    await startExporter();
    await exporter!.consume(logsWith('during-outage'));
    await backend.comeUp();
    await backend.waitForRecords(1);
    expect(bodies(backend.records())).toEqual(['during-outage']);
  });
});
