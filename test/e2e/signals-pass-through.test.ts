import type { Server } from 'node:http';
import { resolve } from 'node:path';
import protobuf from 'protobufjs';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/ports.js';
import { startRecordingSink } from '../helpers/recording-sink.js';
import { startGateway, writeConfig, type GatewayProcess } from '../helpers/gateway-process.js';

const PROTO_ROOT = resolve(import.meta.dirname, '../../proto');

function loadRoot(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => resolve(PROTO_ROOT, target);
  root.loadSync(['opentelemetry/proto/collector/trace/v1/trace_service.proto', 'opentelemetry/proto/collector/metrics/v1/metrics_service.proto']);
  return root;
}

describe('traces and metrics pipelines through the built gateway', () => {
  let gateway: GatewayProcess | undefined;
  let sink: Server | undefined;
  afterEach(async () => {
    await gateway?.stop();
    await new Promise((r) => sink?.close(r));
  });

  it('forwards OTLP/JSON spans and data points to /v1/traces and /v1/metrics with every field intact', async () => {
    const started = await startRecordingSink();
    sink = started.server;
    const { received, port: sinkPort } = started;
    const port = await freePort();
    gateway = await startGateway(
      writeConfig(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${port}
processors:
  memory_limiter: { limit_percentage: 90, spike_limit_percentage: 10, check_interval: 1s }
  batch:
exporters:
  otlphttp:
    endpoint: http://127.0.0.1:${sinkPort}
    compression: none
service:
  telemetry: { metrics: { level: none } }
  pipelines:
    traces:
      receivers: [otlp]
      processors: [memory_limiter, batch]
      exporters: [otlphttp]
    metrics:
      receivers: [otlp]
      exporters: [otlphttp]
`),
    );
    const span = {
      traceId: '5b8efff798038103d269b633813fc60c',
      spanId: 'eee19b7ec3c1b174',
      parentSpanId: 'eee19b7ec3c1b173',
      name: 'checkout',
      kind: 2,
      startTimeUnixNano: '1544712660000000000',
      endTimeUnixNano: '1544712661000000000',
      attributes: [{ key: 'http.status_code', value: { intValue: '200' } }],
      events: [{ timeUnixNano: '1544712660500000000', name: 'retry', attributes: [] }],
      status: { code: 2, message: 'boom' },
    };
    const traces = { resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'shop' } }] }, scopeSpans: [{ scope: { name: 'lib', version: '1' }, spans: [span] }] }] };
    const metrics = {
      resourceMetrics: [
        {
          scopeMetrics: [
            {
              metrics: [
                { name: 'requests', unit: '1', sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [{ asInt: '7', timeUnixNano: '1544712660000000000' }, { asInt: '0', timeUnixNano: '1544712661000000000' }] } },
                { name: 'latency', histogram: { aggregationTemporality: 1, dataPoints: [{ count: '3', sum: 1.5, bucketCounts: ['1', '2'], explicitBounds: [0.5], min: 0.1, max: 0.9 }] } },
              ],
            },
          ],
        },
      ],
    };
    const post = (path: string, body: unknown) => fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post('/v1/traces', traces)).status).toBe(200);
    expect((await post('/v1/metrics', metrics)).status).toBe(200);
    expect((await post('/v1/traces', { resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'zz' }] }] }] })).status).toBe(400);
    await expect.poll(() => received.length, { timeout: 10_000 }).toBe(2);

    const root = loadRoot();
    const t = received.find((r) => r.path === '/v1/traces')!;
    const m = received.find((r) => r.path === '/v1/metrics')!;
    const traceReq = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest').toObject(root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest').decode(t.body), { longs: String, bytes: String });
    const got = traceReq.resourceSpans[0].scopeSpans[0].spans[0];
    expect(Buffer.from(got.traceId, 'base64').toString('hex')).toBe(span.traceId);
    expect(Buffer.from(got.parentSpanId, 'base64').toString('hex')).toBe(span.parentSpanId);
    expect(got).toMatchObject({ name: 'checkout', kind: 2, startTimeUnixNano: span.startTimeUnixNano, endTimeUnixNano: span.endTimeUnixNano, status: { code: 2, message: 'boom' } });
    expect(got.attributes[0]).toMatchObject({ key: 'http.status_code', value: { intValue: '200' } });
    expect(got.events[0]).toMatchObject({ name: 'retry', timeUnixNano: '1544712660500000000' });
    expect(traceReq.resourceSpans[0].resource.attributes[0].value.stringValue).toBe('shop');

    const metricsType = root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest');
    const metricReq = metricsType.toObject(metricsType.decode(m.body), { longs: String, oneofs: true });
    const [sum, hist] = metricReq.resourceMetrics[0].scopeMetrics[0].metrics;
    expect(sum.sum.dataPoints.map((p: { asInt: string }) => p.asInt)).toEqual(['7', '0']);
    expect(sum.sum).toMatchObject({ aggregationTemporality: 2, isMonotonic: true });
    expect(hist.histogram.dataPoints[0]).toMatchObject({ count: '3', sum: 1.5, bucketCounts: ['1', '2'], explicitBounds: [0.5], min: 0.1, max: 0.9 });
  }, 60_000);
});
