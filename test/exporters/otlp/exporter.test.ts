import * as grpc from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { otlpExporterFactory } from '../../../src/exporters/otlp/factory.js';
import type { Component, LogsConsumer } from '../../../src/pipeline/component.js';
import { OtlpGrpcBackend } from '../../fakes/otlp-grpc-backend.js';
import { bodies, logsWith, noExtensions, settings } from './test-kit.js';

let backend: OtlpGrpcBackend;
let exporter: (Component & LogsConsumer) | undefined;

beforeEach(async () => {
  backend = await OtlpGrpcBackend.start();
});
afterEach(async () => {
  await exporter?.shutdown();
  exporter = undefined;
  await backend.close();
});

async function startExporter(extra: Record<string, unknown> = {}) {
  const config = otlpExporterFactory.schema.parse({
    endpoint: backend.endpoint,
    tls: { insecure: true },
    retry_on_failure: { initial_interval: '10ms', max_interval: '50ms' },
    ...extra,
  });
  exporter = otlpExporterFactory.create(settings('otlp/test'), config);
  await exporter.start(noExtensions);
}

describe('otlp (gRPC) exporter (factory, queue and retry around the sender)', () => {
  it('delivers consumed logs to the backend', async () => {
    await startExporter();
    await exporter!.consume(logsWith('one', 'two'));
    await backend.waitForRecords(2);
    expect(bodies(backend.records())).toEqual(['one', 'two']);
  });

  it('keeps retrying through UNAVAILABLE and RESOURCE_EXHAUSTED with RetryInfo until accepted', async () => {
    backend.failNext(1, grpc.status.UNAVAILABLE);
    backend.failNext(1, { code: grpc.status.RESOURCE_EXHAUSTED, retryAfterMs: 10 });
    await startExporter();
    await exporter!.consume(logsWith('persist'));
    await backend.waitForRecords(1);
    expect(backend.refusals.map((r) => r.code)).toEqual([grpc.status.UNAVAILABLE, grpc.status.RESOURCE_EXHAUSTED]);
    expect(bodies(backend.records())).toEqual(['persist']);
  });

  it('delivers after the backend was down and came back on the same port', async () => {
    await backend.goDown();
    await startExporter();
    await exporter!.consume(logsWith('during-outage'));
    await backend.comeUp();
    await backend.waitForRecords(1, 20_000);
    expect(bodies(backend.records())).toEqual(['during-outage']);
  });
});
