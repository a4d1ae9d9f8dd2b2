import { context, trace, TraceFlags } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter as GrpcExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as JsonExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeLogs } from '../../src/pdata/proto.js';
import type { KeyValue, LogRecord, Logs } from '../../src/pdata/model.js';
import { fromAnyValue } from '../../src/pdata/values.js';
import { OtlpGrpcBackend } from '../fakes/otlp-grpc-backend.js';
import { OtlpHttpBackend } from '../fakes/otlp-http-backend.js';
import { startGateway, writeConfig, type GatewayProcess } from '../helpers/gateway-process.js';
import { freePort } from '../helpers/ports.js';

/**
 * Issue 2, acceptance 2: the official OpenTelemetry JS SDK exporters (OTLP/HTTP protobuf, OTLP/HTTP
 * JSON, OTLP/gRPC) send through the real gateway process to three backends (otlphttp proto,
 * otlphttp json, otlp gRPC), and every field arrives intact at each.
 */
let gateway: GatewayProcess;
let protoBackend: OtlpHttpBackend;
let jsonBackend: OtlpHttpBackend;
let grpcBackend: OtlpGrpcBackend;
let httpPort: number;
let grpcPort: number;

beforeAll(async () => {
  [protoBackend, jsonBackend, grpcBackend] = await Promise.all([OtlpHttpBackend.start(), OtlpHttpBackend.start(), OtlpGrpcBackend.start()]);
  [httpPort, grpcPort] = [await freePort(), await freePort()];
  const config = writeConfig(`
receivers:
  otlp:
    protocols:
      grpc: { endpoint: 127.0.0.1:${grpcPort} }
      http: { endpoint: 127.0.0.1:${httpPort} }
processors:
  batch: { timeout: 50ms }
exporters:
  otlphttp/proto: { endpoint: ${protoBackend.url} }
  otlphttp/json: { endpoint: ${jsonBackend.url}, encoding: json, compression: none }
  otlp/grpc: { endpoint: ${grpcBackend.endpoint}, tls: { insecure: true } }
service:
  pipelines:
    logs:
      receivers: [otlp]
      processors: [batch]
      exporters: [otlphttp/proto, otlphttp/json, otlp/grpc]
  telemetry:
    metrics: { level: none }
`);
  gateway = await startGateway(config);
});

afterAll(async () => {
  await gateway?.stop();
  await Promise.all([protoBackend?.close(), jsonBackend?.close(), grpcBackend?.close()]);
});

const TRACE_ID = '5b8efff798038103d269b633813fc60c';
const SPAN_ID = 'eee19b7ec3c1b174';
const backends = () => [
  ['otlphttp proto', protoBackend],
  ['otlphttp json', jsonBackend],
  ['otlp grpc', grpcBackend],
] as const;

async function emitWith(exporter: LogRecordExporter, marker: string) {
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'interop', 'host.name': 'h1', 'k8s.pod.uid': 'abc' }),
    logRecordLimits: { attributeCountLimit: 9 },
    processors: [new SimpleLogRecordProcessor({ exporter })],
  });
  const logger = provider.getLogger('interop-scope', '1.2.3', { scopeAttributes: { 'scope.attr': 'yes' } } as never);
  const ctx = trace.setSpanContext(context.active(), { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED });
  logger.emit({
    timestamp: new Date('2026-01-02T03:04:05.678Z'),
    observedTimestamp: new Date('2026-01-02T03:04:06.000Z'),
    severityNumber: SeverityNumber.WARN2,
    severityText: 'WARN2',
    eventName: 'interop.event',
    body: { text: marker, nested: { list: [1, 'two', true, 2.5] } },
    context: ctx,
    attributes: {
      marker,
      str: 'hello',
      bool: false,
      int: 42,
      negative: -7,
      double: 3.25,
      arr: ['a', 'b'],
      map: { inner: 'v', deeper: { n: 1 } },
      bytes: new Uint8Array([0, 1, 254, 255]),
      // Over the attribute limit of 9: dropped by the SDK and counted.
      extra1: 'x',
      extra2: 'y',
    },
  });
  await provider.forceFlush();
  await provider.shutdown();
}

function findRecord(logs: Logs[], marker: string) {
  for (const l of logs)
    for (const rl of l.resourceLogs)
      for (const sl of rl.scopeLogs)
        for (const r of sl.logRecords) if (r.attributes.some((a) => a.key === 'marker' && a.value?.stringValue === marker)) return { rl, sl, r };
  return undefined;
}

const attrs = (kvs: KeyValue[]) => Object.fromEntries(kvs.map((kv) => [kv.key, fromAnyValue(kv.value)]));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function expectAllFields(r: LogRecord, marker: string) {
  expect(r.timeUnixNano).toBe(1767323045678000000n);
  expect(r.observedTimeUnixNano).toBe(1767323046000000000n);
  expect(r.severityNumber).toBe(14);
  expect(r.severityText).toBe('WARN2');
  expect(r.eventName).toBe('interop.event');
  expect(hex(r.traceId)).toBe(TRACE_ID);
  expect(hex(r.spanId)).toBe(SPAN_ID);
  expect(r.flags & 0xff).toBe(1);
  expect(fromAnyValue(r.body)).toEqual({ text: marker, nested: { list: [1n, 'two', true, 2.5] } });
  const a = attrs(r.attributes);
  expect(a).toMatchObject({ marker, str: 'hello', bool: false, int: 42n, negative: -7n, double: 3.25, arr: ['a', 'b'], map: { inner: 'v', deeper: { n: 1n } } });
  expect(a.bytes).toEqual(new Uint8Array([0, 1, 254, 255]));
  expect(r.droppedAttributesCount).toBe(2);
}

describe('interop with the official OpenTelemetry JS SDK exporters, through the gateway process', () => {
  const clients: [string, () => LogRecordExporter][] = [
    ['exporter-logs-otlp-proto (HTTP protobuf)', () => new ProtoExporter({ url: `http://127.0.0.1:${httpPort}/v1/logs` })],
    ['exporter-logs-otlp-http (HTTP JSON)', () => new JsonExporter({ url: `http://127.0.0.1:${httpPort}/v1/logs` })],
    ['exporter-logs-otlp-grpc', () => new GrpcExporter({ url: `http://127.0.0.1:${grpcPort}` })],
  ];

  for (const [name, make] of clients) {
    it(`delivers every field sent by ${name} to all three backends`, async () => {
      const marker = `m-${name}`;
      await emitWith(make(), marker);
      for (const [backendName, backend] of backends()) {
        await backend.waitForRecords(1);
        let found: ReturnType<typeof findRecord>;
        for (let i = 0; i < 100 && !(found = findRecord(backend.requests.map((q) => q.logs), marker)); i++) await new Promise((r) => setTimeout(r, 50));
        expect(found, `${backendName} received the record`).toBeDefined();
        const { rl, sl, r } = found!;
        expect(attrs(rl.resource!.attributes)).toMatchObject({ 'service.name': 'interop', 'host.name': 'h1', 'k8s.pod.uid': 'abc' });
        expect(sl.scope?.name).toBe('interop-scope');
        expect(sl.scope?.version).toBe('1.2.3');
        expectAllFields(r, marker);
      }
    });
  }

  it('keeps int64 values beyond 2^53, negative ints and bytes exact (raw OTLP protobuf and JSON)', async () => {
    const big = 9007199254740993n; // 2^53 + 1: not representable as a JS number
    const logs: Logs = {
      resourceLogs: [
        {
          schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'raw' } }], droppedAttributesCount: 3 },
          scopeLogs: [
            {
              schemaUrl: '',
              scope: { name: 'raw-scope', version: '9', attributes: [{ key: 's', value: { boolValue: true } }], droppedAttributesCount: 1 },
              logRecords: [
                {
                  timeUnixNano: 1767323045678901234n,
                  observedTimeUnixNano: 1767323045678901235n,
                  severityNumber: 21,
                  severityText: 'FATAL',
                  body: { bytesValue: new Uint8Array([9, 8, 7]) },
                  attributes: [
                    { key: 'marker', value: { stringValue: 'raw-proto' } },
                    { key: 'big', value: { intValue: big } },
                    { key: 'min', value: { intValue: -9223372036854775808n } },
                  ],
                  droppedAttributesCount: 4,
                  flags: 0x101,
                  traceId: Buffer.from(TRACE_ID, 'hex'),
                  spanId: Buffer.from(SPAN_ID, 'hex'),
                  eventName: 'raw.event',
                },
              ],
            },
          ],
        },
      ],
    };
    const res = await fetch(`http://127.0.0.1:${httpPort}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: encodeLogs(logs) });
    expect(res.status).toBe(200);
    const json = JSON.stringify({
      resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNano: '1767323045678901234', body: { stringValue: 'j' }, attributes: [{ key: 'marker', value: { stringValue: 'raw-json' } }, { key: 'big', value: { intValue: '9223372036854775807' } }] }] }] }],
    });
    const res2 = await fetch(`http://127.0.0.1:${httpPort}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: json });
    expect(res2.status).toBe(200);

    for (const [backendName, backend] of backends()) {
      let p: ReturnType<typeof findRecord>;
      let j: ReturnType<typeof findRecord>;
      for (let i = 0; i < 100; i++) {
        p = findRecord(backend.requests.map((q) => q.logs), 'raw-proto');
        j = findRecord(backend.requests.map((q) => q.logs), 'raw-json');
        if (p && j) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(p!, backendName).toBeDefined();
      expect(p!.rl.schemaUrl).toBe('https://opentelemetry.io/schemas/1.26.0');
      expect(p!.rl.resource!.droppedAttributesCount).toBe(3);
      expect(p!.sl.scope).toMatchObject({ name: 'raw-scope', version: '9', droppedAttributesCount: 1 });
      expect(attrs(p!.sl.scope!.attributes)).toEqual({ s: true });
      expect(p!.r).toMatchObject({ timeUnixNano: 1767323045678901234n, observedTimeUnixNano: 1767323045678901235n, severityNumber: 21, severityText: 'FATAL', droppedAttributesCount: 4, flags: 0x101, eventName: 'raw.event' });
      expect(p!.r.body?.bytesValue).toEqual(new Uint8Array([9, 8, 7]));
      expect(attrs(p!.r.attributes)).toMatchObject({ big, min: -9223372036854775808n });
      expect(attrs(j!.r.attributes).big, backendName).toBe(9223372036854775807n);
      expect(j!.r.timeUnixNano).toBe(1767323045678901234n);
    }
  });
});
