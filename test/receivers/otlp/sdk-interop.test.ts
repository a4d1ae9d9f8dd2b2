import { ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
// Type only: the enum lives in a transitive package; at runtime the exporters take the string.
import type { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { OTLPLogExporter as GrpcLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeyValue, LogRecord, Logs } from '../../../src/pdata/model.js';
import { fromAnyValue } from '../../../src/pdata/values.js';
import { counterValue, startReceiver, type Running } from './harness.js';

/**
 * The official OpenTelemetry JS exporters (OTLP/HTTP protobuf, OTLP/HTTP JSON, OTLP/gRPC) talk to
 * the receiver, and every field the SDK can set must arrive unchanged in the pipeline.
 */

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const SPAN_ID = 'b7ad6b7169203331';
const GZIP = 'gzip' as CompressionAlgorithm;
const MAX_SAFE = 9_007_199_254_740_991;

const plain = (attrs: KeyValue[] | undefined) => fromAnyValue({ kvlistValue: { values: attrs ?? [] } }) as Record<string, unknown>;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

async function emitThrough(exporter: LogRecordExporter): Promise<void> {
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'checkout', 'host.cpus': 8, ratio: 0.75, canary: true, regions: ['eu', 'us'] }, { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' }),
    logRecordLimits: { attributeCountLimit: 8 },
    processors: [new BatchLogRecordProcessor({ exporter, scheduledDelayMillis: 60_000 })],
  });
  const logger = provider.getLogger('checkout-lib', '1.2.3', { schemaUrl: 'https://example.com/scope-schema', attributes: { 'scope.kind': 'library', 'scope.n': 2 } });
  logger.emit({
    timestamp: [1_700_000_000, 123_456_789],
    observedTimestamp: [1_700_000_001, 5],
    severityNumber: SeverityNumber.WARN2,
    severityText: 'WARN2',
    eventName: 'checkout.failed',
    body: {
      s: 'text ü',
      i: 42,
      neg: -7,
      d: 3.25,
      b: true,
      bytes: new Uint8Array([0, 1, 2, 255]),
      arr: ['x', 1, 2.5, false, null],
      nested: { deep: { k: 'v' } },
      empty: null,
    },
    attributes: { str: 'v', int: MAX_SAFE, dbl: 0.5, bool: false, strs: ['a', 'b'], bytes: new Uint8Array([9, 8]), map: { a: 1 } },
    context: trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED }),
  });
  // Ten attributes against a limit of eight: the SDK drops two and says so.
  const many = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, i]));
  logger.emit({ timestamp: [1_700_000_002, 0], body: 'plain string body', attributes: many });
  await provider.forceFlush();
  await provider.shutdown();
}

function records(received: Logs[]) {
  return received.flatMap((l) => l.resourceLogs.flatMap((rl) => rl.scopeLogs.flatMap((sl) => sl.logRecords.map((r) => ({ rl, sl, r })))));
}

function expectAllFieldsSurvived(received: Logs[]) {
  const all = records(received);
  expect(all).toHaveLength(2);
  const [{ rl, sl, r }, second] = all;

  expect(plain(rl.resource?.attributes)).toMatchObject({ 'service.name': 'checkout', 'host.cpus': 8n, ratio: 0.75, canary: true, regions: ['eu', 'us'] });
  expect(rl.resource?.droppedAttributesCount).toBe(0);
  expect(rl.schemaUrl).toBe('https://opentelemetry.io/schemas/1.30.0');
  expect(sl.scope).toMatchObject({ name: 'checkout-lib', version: '1.2.3', droppedAttributesCount: 0 });
  expect(plain(sl.scope?.attributes)).toEqual({ 'scope.kind': 'library', 'scope.n': 2n });
  expect(sl.schemaUrl).toBe('https://example.com/scope-schema');

  const first: LogRecord = r;
  expect(first.timeUnixNano).toBe(1_700_000_000_123_456_789n);
  expect(first.observedTimeUnixNano).toBe(1_700_000_001_000_000_005n);
  expect(first.severityNumber).toBe(14);
  expect(first.severityText).toBe('WARN2');
  expect(first.eventName).toBe('checkout.failed');
  expect(hex(first.traceId)).toBe(TRACE_ID);
  expect(hex(first.spanId)).toBe(SPAN_ID);
  expect(first.flags).toBe(1);
  expect(first.droppedAttributesCount).toBe(0);
  expect(fromAnyValue(first.body)).toEqual({
    s: 'text ü',
    i: 42n,
    neg: -7n,
    d: 3.25,
    b: true,
    bytes: new Uint8Array([0, 1, 2, 255]),
    arr: ['x', 1n, 2.5, false, null],
    nested: { deep: { k: 'v' } },
    empty: null,
  });
  expect(plain(first.attributes)).toEqual({ str: 'v', int: BigInt(MAX_SAFE), dbl: 0.5, bool: false, strs: ['a', 'b'], bytes: new Uint8Array([9, 8]), map: { a: 1n } });

  expect(second.r.body).toEqual({ stringValue: 'plain string body' });
  expect(second.r.attributes).toHaveLength(8);
  expect(second.r.droppedAttributesCount).toBe(2);
  expect(second.r.traceId).toHaveLength(0);
  expect(second.r.spanId).toHaveLength(0);
  expect(second.r.severityNumber).toBe(0);
  expect(second.r.eventName).toBe('');
}

let run: Running;
beforeAll(async () => {
  run = await startReceiver();
});
afterAll(async () => {
  await run.receiver.shutdown();
});

describe('otlp receiver with the official OpenTelemetry JS exporters', () => {
  it('receives every field from @opentelemetry/exporter-logs-otlp-proto (gzip)', async () => {
    run.next.received.length = 0;
    await emitThrough(new ProtoLogExporter({ url: `${run.httpUrl}/v1/logs`, compression: GZIP }));
    expectAllFieldsSurvived(run.next.received);
  });

  it('receives every field from @opentelemetry/exporter-logs-otlp-http (OTLP/JSON)', async () => {
    run.next.received.length = 0;
    await emitThrough(new JsonLogExporter({ url: `${run.httpUrl}/v1/logs` }));
    expectAllFieldsSurvived(run.next.received);
  });

  it('receives every field from @opentelemetry/exporter-logs-otlp-grpc (gzip)', async () => {
    run.next.received.length = 0;
    await emitThrough(new GrpcLogExporter({ url: `http://${run.grpcAddress}`, compression: GZIP }));
    expectAllFieldsSurvived(run.next.received);
    expect(await counterValue(run.telemetry.receiverAccepted, { receiver: 'otlp', transport: 'grpc' })).toBe(2);
  });

  it('counts accepted records per transport', async () => {
    expect(await counterValue(run.telemetry.receiverAccepted, { receiver: 'otlp', transport: 'http' })).toBe(4);
  });
});
