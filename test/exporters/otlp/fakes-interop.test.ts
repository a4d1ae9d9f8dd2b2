import { OTLPLogExporter as GrpcLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as HttpJsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { LoggerProvider, SimpleLogRecordProcessor, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import { afterEach, describe, expect, it } from 'vitest';
import { OtlpGrpcBackend } from '../../fakes/otlp-grpc-backend.js';
import { OtlpHttpBackend } from '../../fakes/otlp-http-backend.js';

/**
 * The fakes other tests rely on must accept what real OpenTelemetry clients send: the official JS
 * exporters (protobuf and JSON over HTTP, and gRPC) deliver to them.
 */

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function emitThrough(exporter: LogRecordExporter, ...bodies: string[]) {
  const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter })] });
  cleanups.push(() => provider.shutdown());
  const logger = provider.getLogger('interop');
  for (const body of bodies) logger.emit({ body, attributes: { big: 2 ** 40 } });
  await provider.forceFlush();
}

describe('test fakes against the official OpenTelemetry JS exporters', () => {
  it('OTLP/HTTP protobuf reaches OtlpHttpBackend', async () => {
    const backend = await OtlpHttpBackend.start();
    cleanups.push(() => backend.close());
    await emitThrough(new ProtoLogExporter({ url: backend.logsUrl, compression: 'gzip' as never }), 'p1', 'p2');
    await backend.waitForRecords(2);
    // One request per record (SimpleLogRecordProcessor), sent concurrently: arrival order is free.
    expect(backend.records().map((r) => r.body?.stringValue).sort()).toEqual(['p1', 'p2']);
    expect(backend.requests[0].encoding).toBe('proto');
  });

  it('OTLP/HTTP JSON reaches OtlpHttpBackend', async () => {
    const backend = await OtlpHttpBackend.start();
    cleanups.push(() => backend.close());
    await emitThrough(new HttpJsonLogExporter({ url: backend.logsUrl }), 'j1');
    await backend.waitForRecords(1);
    expect(backend.records()[0].attributes).toEqual([{ key: 'big', value: { intValue: 2n ** 40n } }]);
    expect(backend.requests[0].encoding).toBe('json');
  });

  it('OTLP/gRPC reaches OtlpGrpcBackend', async () => {
    const backend = await OtlpGrpcBackend.start();
    cleanups.push(() => backend.close());
    const exporter = new GrpcLogExporter({ url: `http://${backend.endpoint}` });
    await emitThrough(exporter, 'g1', 'g2', 'g3');
    await backend.waitForRecords(3);
    expect(backend.records().map((r) => r.body?.stringValue).sort()).toEqual(['g1', 'g2', 'g3']);
  });
});
