import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { canonical, dataPointsOf, encodeRequest, metricsOf, spansOf } from '../fakes/otlp-signal-codec.js';
import { OtlpSignalSink, type SinkRequest } from '../fakes/otlp-signal-sink.js';
import { startGateway, writeConfig, type GatewayProcess } from '../helpers/gateway-process.js';
import { freePort } from '../helpers/ports.js';
import { exportWith, LINK_SPAN_ID, LINK_TRACE_ID, makeMetrics, makeSpans, metricExporter, PARENT_SPAN_ID, TRACE_ID, traceExporter, TRANSPORTS } from './sdk-signals.js';

/**
 * Issue 19, acceptance 2: the official OpenTelemetry JS trace and metric exporters (HTTP protobuf,
 * HTTP JSON, gRPC) send through the built gateway to an OTLP backend reached by the otlphttp
 * exporter (protobuf and JSON) and the otlp (gRPC) exporter. The same spans and points also go
 * straight to a capture server, and the backend must receive exactly what the client sent, field
 * by field (compared in one canonical decoded form, see test/fakes/otlp-signal-codec.ts).
 */
let gateway: GatewayProcess;
let capture: OtlpSignalSink;
let backend: OtlpSignalSink;
let httpBase: string;
let grpcEndpoint: string;

beforeAll(async () => {
  [capture, backend] = await Promise.all([OtlpSignalSink.start(), OtlpSignalSink.start()]);
  const [httpPort, grpcPort] = [await freePort(), await freePort()];
  httpBase = `http://127.0.0.1:${httpPort}`;
  grpcEndpoint = `127.0.0.1:${grpcPort}`;
  const config = writeConfig(`
receivers:
  otlp:
    protocols:
      grpc: { endpoint: ${grpcEndpoint} }
      http: { endpoint: 127.0.0.1:${httpPort} }
exporters:
  otlphttp/proto: { endpoint: ${backend.url} }
  otlphttp/json: { endpoint: ${backend.url}, encoding: json, compression: none }
  otlp/grpc: { endpoint: ${backend.grpcEndpoint}, tls: { insecure: true } }
service:
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [otlphttp/proto, otlphttp/json, otlp/grpc]
    metrics:
      receivers: [otlp]
      exporters: [otlphttp/proto, otlphttp/json, otlp/grpc]
  telemetry:
    metrics: { level: none }
`);
  gateway = await startGateway(config);
});

afterAll(async () => {
  await gateway?.stop();
  await Promise.all([capture?.close(), backend?.close()]);
});

beforeEach(() => {
  capture.requests.length = 0;
  backend.requests.length = 0;
});

/** The three requests the gateway's exporters delivered, by the way they arrived. */
function deliveredBy(requests: SinkRequest[]) {
  const find = (transport: string, encoding: string) => requests.find((r) => r.transport === transport && r.encoding === encoding);
  return { 'otlphttp proto': find('http', 'proto'), 'otlphttp json': find('http', 'json'), 'otlp grpc': find('grpc', 'proto') };
}

type Plain = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const attrsOf = (kvs: Plain[]) => Object.fromEntries(kvs.map((kv) => [kv.key, kv.value]));

/** Checks that the SDK really put every span field on the wire, so the comparison is not vacuous. */
function expectEverySpanField(request: Plain, marker: string) {
  const spans = spansOf(request) as Plain[];
  expect(spans).toHaveLength(5);
  const [rs] = request.resourceSpans;
  expect(attrsOf(rs.resource.attributes)).toMatchObject({ 'service.name': { stringValue: 'interop-signals' }, 'process.pid': { intValue: '4242' }, marker: { stringValue: marker } });
  expect(rs.scopeSpans[0].scope).toMatchObject({ name: 'interop-scope', version: '1.2.3' });
  expect(rs.scopeSpans[0].schemaUrl).toBe('https://opentelemetry.io/schemas/1.26.0');
  const span = spans.find((s) => s.name === `checkout ${marker}`)!;
  expect(span).toMatchObject({ traceId: TRACE_ID, parentSpanId: PARENT_SPAN_ID, traceState: 'vendor1=a1b2,vendor2=x', kind: 3, startTimeUnixNano: '1767323045678000000', endTimeUnixNano: '1767323046912000000' });
  expect(span.spanId).toMatch(/^[0-9a-f]{16}$/);
  expect(span.status).toEqual({ code: 2, message: 'payment failed' });
  expect(attrsOf(span.attributes)).toMatchObject({
    str: { stringValue: 'hello' },
    'unicode.str': { stringValue: 'grüße ✓' },
    bool: { boolValue: true },
    int: { intValue: '42' },
    negative: { intValue: '-7' },
    double: { doubleValue: 3.25 },
    'str.array': { arrayValue: { values: [{ stringValue: 'a' }, { stringValue: 'b' }] } },
    'int.array': { arrayValue: { values: [{ intValue: '1' }, { intValue: '2' }, { intValue: '3' }] } },
  });
  expect(span.droppedAttributesCount).toBe(2);
  expect(span.events.map((e: Plain) => e.name)).toEqual(['exception', 'dropped-event']);
  expect(span.droppedEventsCount).toBe(1);
  expect(span.links).toHaveLength(1);
  expect(span.links[0]).toMatchObject({ traceId: LINK_TRACE_ID, spanId: LINK_SPAN_ID, traceState: 'l=1' });
  expect(attrsOf(span.links[0].attributes)).toMatchObject({ 'link.attr': { stringValue: 'yes' }, 'link.n': { intValue: '5' } });
  expect(span.droppedLinksCount).toBe(1);
  expect(spans.map((s) => s.kind).sort()).toEqual([1, 2, 3, 4, 5]);
  const child = spans.find((s) => s.name === `db ${marker}`)!;
  expect(child.parentSpanId).toBe(span.spanId);
  expect(child.status.code).toBe(1);
}

/** Checks that every metric kind the SDK exports is present with its data. */
function expectEveryMetricKind(request: Plain) {
  const metrics = Object.fromEntries((metricsOf(request) as Plain[]).map((m) => [m.name, m]));
  expect(request.resourceMetrics[0].scopeMetrics[0].scope).toMatchObject({ name: 'interop-meter', version: '4.5.6' });
  expect(metrics.requests).toMatchObject({ unit: '{request}', description: 'requests served', data: 'sum', sum: { isMonotonic: true, aggregationTemporality: 2 } });
  expect(attrsOf(metrics.requests.sum.dataPoints[0].attributes)).toMatchObject({ ok: { boolValue: true }, code: { intValue: '200' }, ratio: { doubleValue: 0.5 } });
  expect(metrics['bytes.in'].sum.dataPoints.map((p: Plain) => p.asInt).sort()).toEqual(['1024', '2048']);
  expect(metrics['queue.depth']).toMatchObject({ data: 'sum', sum: { isMonotonic: false } });
  expect(metrics['queue.depth'].sum.dataPoints[0].asDouble).toBe(7);
  expect(metrics.temperature).toMatchObject({ data: 'gauge', unit: 'Cel' });
  expect(metrics.temperature.gauge.dataPoints[0].asDouble).toBe(21.5);
  expect(metrics['pool.size'].gauge.dataPoints[0].asInt).toBe('12');
  expect(metrics['cpu.time'].sum.dataPoints[0].asDouble).toBe(3.75);
  expect(metrics.latency.data).toBe('histogram');
  expect(metrics.latency.histogram.dataPoints[0]).toMatchObject({ count: '5', sum: 562.5, min: 0.5, max: 500, explicitBounds: [1, 10, 100], bucketCounts: ['1', '2', '1', '1'] });
  const exp = metrics['latency.exp'];
  expect(exp.data).toBe('exponentialHistogram');
  expect(exp.exponentialHistogram.dataPoints[0]).toMatchObject({ count: '6', zeroCount: '1', max: 1000 });
  // -0 over protobuf (a double keeps its sign), 0 over JSON.
  expect(Math.abs(exp.exponentialHistogram.dataPoints[0].min)).toBe(0);
  expect(exp.exponentialHistogram.dataPoints[0].positive.bucketCounts.length).toBeGreaterThan(0);
  for (const m of Object.values(metrics)) for (const p of dataPointsOf(m as Plain)) expect(BigInt(p.timeUnixNano as string)).toBeGreaterThan(0n);
}

describe('official OTel JS trace and metric exporters through the gateway process', () => {
  for (const transport of TRANSPORTS) {
    it(`spans sent over ${transport} reach every backend exactly as the SDK sent them`, async () => {
      const marker = `traces-${transport}`;
      const spans = await makeSpans(marker);
      await exportWith(traceExporter(transport, capture.url, capture.grpcEndpoint), spans);
      await exportWith(traceExporter(transport, httpBase, grpcEndpoint), spans);
      expect(capture.of('traces')).toHaveLength(1);
      const sent = capture.of('traces')[0].body;
      expectEverySpanField(sent, marker);
      await backend.waitForItems('traces', 3 * spans.length);
      for (const [exporter, got] of Object.entries(deliveredBy(backend.of('traces')))) {
        expect(got, `${exporter} delivered`).toBeDefined();
        expect(got!.body, `what ${exporter} delivered`).toEqual(sent);
      }
    });

    it(`metrics sent over ${transport} reach every backend exactly as the SDK sent them`, async () => {
      const metrics = await makeMetrics(`metrics-${transport}`);
      await exportWith(metricExporter(transport, capture.url, capture.grpcEndpoint), metrics);
      await exportWith(metricExporter(transport, httpBase, grpcEndpoint), metrics);
      expect(capture.of('metrics')).toHaveLength(1);
      const sent = capture.of('metrics')[0];
      expectEveryMetricKind(sent.body);
      await backend.waitForItems('metrics', 3 * sent.items);
      for (const [exporter, got] of Object.entries(deliveredBy(backend.of('metrics')))) {
        expect(got, `${exporter} delivered`).toBeDefined();
        expect(got!.body, `what ${exporter} delivered`).toEqual(sent.body);
      }
    });
  }
});

/**
 * Fields the JS SDK never sets (scope attributes, span and link flags, kvlist and bytes values,
 * exemplars, summaries, negative exponential buckets, metric metadata) sent by a raw OTLP client,
 * so every field of the OTLP messages is covered end to end, over protobuf and JSON.
 */
describe('every OTLP field the SDK does not set, through the gateway process', () => {
  const ids = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' };
  const anyValues = [
    { key: 'kv', value: { kvlistValue: { values: [{ key: 'inner', value: { stringValue: 'v' } }, { key: 'n', value: { intValue: '-1' } }] } } },
    { key: 'bytes', value: { bytesValue: Buffer.from([0, 1, 254, 255]).toString('base64') } },
    { key: 'mixed', value: { arrayValue: { values: [{ stringValue: 'a' }, { boolValue: false }, { doubleValue: 1.5 }] } } },
    { key: 'empty', value: {} },
  ];
  const resource = { attributes: anyValues, droppedAttributesCount: 3, entityRefs: [{ schemaUrl: 's', type: 'service', idKeys: ['service.name'], descriptionKeys: ['host'] }] };
  const scope = { name: 'raw', version: '0.1', attributes: [{ key: 'scope.attr', value: { stringValue: 'yes' } }], droppedAttributesCount: 2 };
  const traces = {
    resourceSpans: [{
      resource, schemaUrl: 'https://example.com/r',
      scopeSpans: [{ scope, schemaUrl: 'https://example.com/s', spans: [{ ...ids, parentSpanId: 'b7ad6b7169203330', traceState: 'a=b', flags: 0x301, name: 'raw-span', kind: 5, startTimeUnixNano: '1767323045678000001', endTimeUnixNano: '1767323045678000002', attributes: anyValues, droppedAttributesCount: 1, events: [{ timeUnixNano: '1767323045678000001', name: 'e', attributes: anyValues, droppedAttributesCount: 4 }], droppedEventsCount: 5, links: [{ ...ids, traceState: 'c=d', attributes: anyValues, droppedAttributesCount: 6, flags: 0x101 }], droppedLinksCount: 7, status: { code: 2, message: 'bad' } }] }],
    }],
  };
  const exemplars = [{ filteredAttributes: anyValues, timeUnixNano: '1767323045678000009', asDouble: 2.5, ...ids }, { timeUnixNano: '1767323045678000010', asInt: '-3' }];
  const point = { attributes: anyValues, startTimeUnixNano: '1767323045000000000', timeUnixNano: '1767323045678000000', flags: 1 };
  const metrics = {
    resourceMetrics: [{
      resource,
      scopeMetrics: [{ scope, metrics: [
        { name: 'sum', description: 'd', unit: 'u', metadata: [{ key: 'meta', value: { stringValue: 'm' } }], sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: [{ ...point, asInt: '-9223372036854775808', exemplars }] } },
        { name: 'gauge', gauge: { dataPoints: [{ ...point, asDouble: 0, exemplars }] } },
        { name: 'hist', histogram: { aggregationTemporality: 2, dataPoints: [{ ...point, count: '3', sum: 0, bucketCounts: ['1', '0', '2'], explicitBounds: [-1, 1], exemplars, min: 0, max: 7 }] } },
        { name: 'exp', exponentialHistogram: { aggregationTemporality: 2, dataPoints: [{ ...point, count: '6', sum: -4, scale: -3, zeroCount: '1', zeroThreshold: 1e-9, positive: { offset: -2, bucketCounts: ['1', '2'] }, negative: { offset: 1, bucketCounts: ['2'] }, exemplars, min: -3, max: 9 }] } },
        { name: 'summary', summary: { dataPoints: [{ ...point, count: '4', sum: 10.5, quantileValues: [{ quantile: 0, value: 1 }, { quantile: 0.99, value: 9.75 }] }] } },
      ] }],
    }],
  };

  for (const [signal, request] of [['traces', traces], ['metrics', metrics]] as const) {
    for (const encoding of ['json', 'proto'] as const) {
      it(`${signal} over OTLP/HTTP ${encoding}: every field arrives at every backend as sent`, async () => {
        const json = Buffer.from(JSON.stringify(request));
        const expected = canonical(signal, json, 'json');
        const body = encoding === 'json' ? json : encodeRequest(signal, request);
        const res = await fetch(`${httpBase}/v1/${signal}`, { method: 'POST', headers: { 'Content-Type': encoding === 'json' ? 'application/json' : 'application/x-protobuf' }, body });
        expect(res.status).toBe(200);
        const items = signal === 'traces' ? 1 : 5;
        await backend.waitForItems(signal, 3 * items);
        for (const [exporter, got] of Object.entries(deliveredBy(backend.of(signal)))) expect(got?.body, `what ${exporter} delivered`).toEqual(expected);
      });
    }
  }
});
