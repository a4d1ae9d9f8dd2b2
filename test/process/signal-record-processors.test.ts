import { credentials, Client, Metadata } from '@grpc/grpc-js';
import type { Server } from 'node:http';
import { resolve } from 'node:path';
import { ProtobufMetricsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import protobuf from 'protobufjs';
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway, writeConfig, type GatewayProcess } from '../helpers/gateway-process.js';
import { freePort } from '../helpers/ports.js';
import { startRecordingSink } from '../helpers/recording-sink.js';

/**
 * `resource` and `attributes` in traces and metrics pipelines of the built gateway: spans and data
 * points made by the official OpenTelemetry JS SDK, serialized by its OTLP protobuf serializer,
 * arrive (sent over OTLP/HTTP and OTLP/gRPC) at an OTLP/HTTP backend with the resource attribute added and span / data point
 * attributes changed, everything else as the SDK sent it.
 */

const PROTO_ROOT = resolve(import.meta.dirname, '../../proto');

function types() {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => resolve(PROTO_ROOT, target);
  root.loadSync(['opentelemetry/proto/collector/trace/v1/trace_service.proto', 'opentelemetry/proto/collector/metrics/v1/metrics_service.proto']);
  return {
    traces: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest'),
    metrics: root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest'),
  };
}

/** A reader the test collects from on demand. */
class OnDemandReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

const attrsOf = (list: { key: string; value: Record<string, unknown> }[] | undefined) => Object.fromEntries((list ?? []).map((kv) => [kv.key, Object.values(kv.value)[0]]));

describe('resource and attributes processors on traces and metrics, built gateway', () => {
  let gateway: GatewayProcess | undefined;
  let sink: Server | undefined;
  afterEach(async () => {
    await gateway?.stop();
    await new Promise((r) => sink?.close(r));
  });

  it('adds a resource attribute to spans and data points and changes their attributes end to end', async () => {
    const started = await startRecordingSink();
    sink = started.server;
    const { received, port: sinkPort } = started;
    const port = await freePort();
    const grpcPort = await freePort();
    gateway = await startGateway(
      writeConfig(`
receivers:
  otlp:
    protocols:
      http: { endpoint: 127.0.0.1:${port}, include_metadata: true }
      grpc: { endpoint: 127.0.0.1:${grpcPort}, include_metadata: true }
processors:
  resource/add_mode:
    attributes:
      - { key: mode, value: workshop, action: insert }
      - { key: tenant, from_context: metadata.x-tenant, action: upsert }
  attributes/spans:
    include: { match_type: strict, span_names: [checkout] }
    actions:
      - { key: user.email, action: hash }
      - { key: reviewed, value: true, action: insert }
  attributes/points:
    actions:
      - { key: route, action: delete }
      - { key: region, value: eu, action: insert }
exporters:
  otlphttp:
    endpoint: http://127.0.0.1:${sinkPort}
    compression: none
service:
  telemetry: { metrics: { level: none } }
  pipelines:
    traces: { receivers: [otlp], processors: [resource/add_mode, attributes/spans], exporters: [otlphttp] }
    metrics: { receivers: [otlp], processors: [resource/add_mode, attributes/points], exporters: [otlphttp] }
`),
    );

    const resource = resourceFromAttributes({ 'service.name': 'shop' });
    const spans = new InMemorySpanExporter();
    const tracer = new TracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] }).getTracer('shop-lib', '1.2.3');
    tracer.startSpan('checkout', { attributes: { 'user.email': 'a@example.com', 'cart.items': 3 } }).end();
    tracer.startSpan('health', { attributes: { 'user.email': 'b@example.com' } }).end();
    const reader = new OnDemandReader();
    const meter = new MeterProvider({ resource, readers: [reader] }).getMeter('shop-meter');
    meter.createCounter('orders').add(2, { route: '/cart', method: 'POST' });
    meter.createHistogram('latency').record(12.5, { route: '/cart' });
    const { resourceMetrics } = await reader.collect();

    const post = (path: string, body: Uint8Array) =>
      fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/x-protobuf', 'X-Tenant': 'acme' }, body });
    expect((await post('/v1/traces', ProtobufTraceSerializer.serializeRequest(spans.getFinishedSpans())!)).status).toBe(200);
    expect((await post('/v1/metrics', ProtobufMetricsSerializer.serializeRequest(resourceMetrics)!)).status).toBe(200);
    // The same spans over OTLP/gRPC, with the tenant in the call's metadata.
    const client = new Client(`127.0.0.1:${grpcPort}`, credentials.createInsecure());
    const metadata = new Metadata();
    metadata.set('x-tenant', 'globex');
    await new Promise<void>((res, rej) =>
      client.makeUnaryRequest('/opentelemetry.proto.collector.trace.v1.TraceService/Export', (b: Uint8Array) => Buffer.from(b), (b: Buffer) => b, ProtobufTraceSerializer.serializeRequest(spans.getFinishedSpans())!, metadata, (err) => (err ? rej(err) : res())),
    );
    client.close();
    await expect.poll(() => received.length, { timeout: 15_000 }).toBe(3);

    const t = types();
    const traceReqs = received.filter((r) => r.path === '/v1/traces').map((r) => t.traces.toObject(t.traces.decode(r.body), { longs: String, oneofs: false }) as any);
    const tenantOf = (req: any) => attrsOf(req.resourceSpans[0].resource.attributes).tenant;
    expect(traceReqs.map(tenantOf).sort()).toEqual(['acme', 'globex']);
    const traceReq = traceReqs.find((req) => tenantOf(req) === 'acme');
    expect(attrsOf(traceReq.resourceSpans[0].resource.attributes)).toMatchObject({ 'service.name': 'shop', mode: 'workshop', tenant: 'acme' });
    const [checkout, health] = traceReq.resourceSpans[0].scopeSpans[0].spans;
    expect(checkout.name).toBe('checkout');
    expect(attrsOf(checkout.attributes)).toEqual({ 'user.email': expect.stringMatching(/^[0-9a-f]{64}$/), 'cart.items': '3', reviewed: true });
    expect(attrsOf(health.attributes)).toEqual({ 'user.email': 'b@example.com' });
    expect(traceReq.resourceSpans[0].scopeSpans[0].scope).toMatchObject({ name: 'shop-lib', version: '1.2.3' });

    const metricsBody = received.find((r) => r.path === '/v1/metrics')!.body;
    const metricReq = t.metrics.toObject(t.metrics.decode(metricsBody), { longs: String }) as any;
    expect(attrsOf(metricReq.resourceMetrics[0].resource.attributes)).toMatchObject({ 'service.name': 'shop', mode: 'workshop', tenant: 'acme' });
    const byName = Object.fromEntries(metricReq.resourceMetrics[0].scopeMetrics[0].metrics.map((m: any) => [m.name, m]));
    expect(attrsOf(byName.orders.sum.dataPoints[0].attributes)).toEqual({ method: 'POST', region: 'eu' });
    expect(byName.orders.sum.dataPoints[0].asDouble ?? Number(byName.orders.sum.dataPoints[0].asInt)).toBe(2);
    expect(attrsOf(byName.latency.histogram.dataPoints[0].attributes)).toEqual({ region: 'eu' });
    expect(byName.latency.histogram.dataPoints[0].sum).toBe(12.5);
  }, 60_000);
});
