import { context, SpanKind, SpanStatusCode, trace, TraceFlags, ValueType } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { OTLPMetricExporter as MetricsGrpc } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPMetricExporter as MetricsJson } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as MetricsProto } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as TraceGrpc } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as TraceJson } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as TraceProto } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationType, MeterProvider, MetricReader, type PushMetricExporter, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';

/**
 * What the official OpenTelemetry JS SDK produces for the interop tests: spans using every field
 * the trace API has, and one metric of every kind the metrics SDK exports. The data is made once
 * and then handed to several exporters, so the capture server and the gateway get the very same
 * spans and points (the SDK's clocks would otherwise differ between two runs).
 */

export type Transport = 'http/protobuf' | 'http/json' | 'grpc';
export const TRANSPORTS: Transport[] = ['http/protobuf', 'http/json', 'grpc'];

export const TRACE_ID = '5b8efff798038103d269b633813fc60c';
export const PARENT_SPAN_ID = 'eee19b7ec3c1b173';
export const LINK_TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
export const LINK_SPAN_ID = 'b7ad6b7169203331';

const RESOURCE = { 'service.name': 'interop-signals', 'service.version': '9.8.7', 'host.name': 'h1', 'process.pid': 4242 };
const T0 = 1767323045678; // 2026-01-02T03:04:05.678Z, ms

/** A parent (remote, with trace_state) and two children with every span field set. */
export async function makeSpans(marker: string): Promise<ReadableSpan[]> {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ ...RESOURCE, marker }),
    // Low limits so the SDK drops some attributes, events and links and reports the dropped counts.
    spanLimits: { attributeCountLimit: 10, eventCountLimit: 2, linkCountLimit: 1 },
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('interop-scope', '1.2.3', { schemaUrl: 'https://opentelemetry.io/schemas/1.26.0' });
  const parent = trace.setSpanContext(context.active(), {
    traceId: TRACE_ID,
    spanId: PARENT_SPAN_ID,
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
    traceState: new TraceState('vendor1=a1b2,vendor2=x'),
  });
  const span = tracer.startSpan(
    `checkout ${marker}`,
    {
      kind: SpanKind.CLIENT,
      startTime: new Date(T0),
      attributes: {
        marker,
        str: 'hello',
        'unicode.str': 'grüße ✓',
        bool: true,
        int: 42,
        negative: -7,
        double: 3.25,
        'str.array': ['a', 'b'],
        'bool.array': [true, false],
        'int.array': [1, 2, 3],
        'double.array': [1.5, 2.5],
        'over.limit.1': 'dropped',
      },
      links: [
        // Over the link limit of 1: the SDK keeps the last one and counts the other as dropped.
        { context: { traceId: LINK_TRACE_ID, spanId: 'b7ad6b7169203332', traceFlags: TraceFlags.NONE } },
        { context: { traceId: LINK_TRACE_ID, spanId: LINK_SPAN_ID, traceFlags: TraceFlags.SAMPLED, traceState: new TraceState('l=1') }, attributes: { 'link.attr': 'yes', 'link.n': 5 } },
      ],
    },
    parent,
  );
  span.addEvent('retry', { attempt: 2, 'backoff.ms': 12.5, ok: false }, new Date(T0 + 10));
  span.addEvent('exception', { 'exception.type': 'Error', 'exception.message': 'boom' }, new Date(T0 + 20));
  span.addEvent('dropped-event', {}, new Date(T0 + 30));
  span.setStatus({ code: SpanStatusCode.ERROR, message: 'payment failed' });
  span.end(new Date(T0 + 1234));
  const child = tracer.startSpan(`db ${marker}`, { kind: SpanKind.INTERNAL, startTime: new Date(T0 + 5) }, trace.setSpan(context.active(), span));
  child.setStatus({ code: SpanStatusCode.OK });
  child.end(new Date(T0 + 50));
  const server = tracer.startSpan(`server ${marker}`, { kind: SpanKind.SERVER, startTime: new Date(T0 + 1) });
  server.end(new Date(T0 + 2));
  for (const kind of [SpanKind.PRODUCER, SpanKind.CONSUMER]) tracer.startSpan(`kind ${kind} ${marker}`, { kind, startTime: new Date(T0 + 3) }).end(new Date(T0 + 4));
  await provider.forceFlush();
  const spans = memory.getFinishedSpans();
  await provider.shutdown();
  return spans;
}

/** A reader the test collects from by hand: the same ResourceMetrics go to every exporter. */
class ManualReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

/** Counter, up-down counter, gauges (sync and observable), histogram, exponential histogram. */
export async function makeMetrics(marker: string): Promise<ResourceMetrics> {
  const reader = new ManualReader();
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ ...RESOURCE, marker }),
    readers: [reader],
    views: [{ instrumentName: 'latency.exp', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize: 160 } } }],
  });
  const meter = provider.getMeter('interop-meter', '4.5.6', { schemaUrl: 'https://opentelemetry.io/schemas/1.26.0' });
  const attrs = { marker, route: '/checkout', ok: true, code: 200, ratio: 0.5, tags: ['a', 'b'] };
  meter.createCounter('requests', { unit: '{request}', description: 'requests served' }).add(7, attrs);
  const ints = meter.createCounter('bytes.in', { unit: 'By', valueType: ValueType.INT });
  ints.add(1024, { marker, peer: 'x' });
  ints.add(2048, { marker, peer: 'y' });
  const queue = meter.createUpDownCounter('queue.depth', { description: 'items waiting' });
  queue.add(10, { marker });
  queue.add(-3, { marker });
  meter.createGauge('temperature', { unit: 'Cel' }).record(21.5, { marker, room: 'lab' });
  meter.createObservableGauge('pool.size', { valueType: ValueType.INT }).addCallback((r) => r.observe(12, { marker }));
  meter.createObservableCounter('cpu.time', { unit: 's' }).addCallback((r) => r.observe(3.75, { marker }));
  const histogram = meter.createHistogram('latency', { unit: 'ms', advice: { explicitBucketBoundaries: [1, 10, 100] } });
  for (const v of [0.5, 5, 50, 500, 7]) histogram.record(v, { marker, route: '/checkout' });
  const exp = meter.createHistogram('latency.exp', { unit: 'ms' });
  for (const v of [0.001, 0.5, 3, 3, 1000, -0]) exp.record(v, { marker });
  const { resourceMetrics, errors } = await reader.collect();
  if (errors.length > 0) throw new Error(`metric collection failed: ${errors.join('; ')}`);
  await provider.shutdown();
  return resourceMetrics;
}

export function traceExporter(transport: Transport, httpBase: string, grpcEndpoint: string): SpanExporter {
  if (transport === 'grpc') return new TraceGrpc({ url: `http://${grpcEndpoint}` });
  const options = { url: `${httpBase}/v1/traces` };
  return transport === 'http/json' ? new TraceJson(options) : new TraceProto(options);
}

export function metricExporter(transport: Transport, httpBase: string, grpcEndpoint: string): PushMetricExporter {
  if (transport === 'grpc') return new MetricsGrpc({ url: `http://${grpcEndpoint}` });
  const options = { url: `${httpBase}/v1/metrics` };
  return transport === 'http/json' ? new MetricsJson(options) : new MetricsProto(options);
}

/** Exports with the SDK exporter and resolves when it reports success (rejects with its error). */
export function exportWith<T>(exporter: { export(items: T, cb: (r: { code: number; error?: Error }) => void): void; shutdown(): Promise<void> }, items: T): Promise<void> {
  return new Promise<void>((resolve, reject) =>
    exporter.export(items, (result) => {
      void exporter.shutdown();
      if (result.code === 0) resolve();
      else reject(result.error ?? new Error(`export failed with code ${result.code}`));
    }),
  );
}
