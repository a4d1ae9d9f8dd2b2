import * as grpc from '@grpc/grpc-js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { requestType } from '../fakes/otlp-signal-codec.js';
import { OtlpSignalSink } from '../fakes/otlp-signal-sink.js';
import { deadLettersIn } from '../helpers/dead-letters.js';
import { startGateway, writeConfig, type GatewayProcess } from '../helpers/gateway-process.js';
import { freePort } from '../helpers/ports.js';
import { exportWith, makeSpans, traceExporter } from '../interop/sdk-signals.js';

/**
 * Issue 19, acceptance 2 (and the traces/metrics side of docs/architecture.md §3): what the
 * gateway does with each answer a backend gives for spans and data points, through the built CLI.
 * A partial_success (rejected_spans, rejected_data_points) is a success, counted and logged, never
 * retried; a gRPC UNAVAILABLE is retried until the backend takes the request; INVALID_ARGUMENT moves
 * the request to the dead-letter store of the exporter's `#traces` / `#metrics` queue. The
 * receiver's gRPC TraceService / MetricsService answer INVALID_ARGUMENT to bytes that are not a request.
 */
let gateway: GatewayProcess;
let httpSink: OtlpSignalSink;
let jsonSink: OtlpSignalSink;
let grpcSink: OtlpSignalSink;
let httpPort: number;
let grpcPort: number;
let metricsPort: number;
let storageDir: string;

beforeAll(async () => {
  [httpSink, jsonSink, grpcSink] = await Promise.all([OtlpSignalSink.start(), OtlpSignalSink.start(), OtlpSignalSink.start()]);
  [httpPort, grpcPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
  storageDir = mkdtempSync(join(tmpdir(), 'mog-signals-'));
  gateway = await startGateway(
    writeConfig(`
extensions:
  file_storage: { directory: ${storageDir} }
receivers:
  otlp:
    protocols:
      grpc: { endpoint: 127.0.0.1:${grpcPort} }
      http: { endpoint: 127.0.0.1:${httpPort} }
exporters:
  otlphttp/proto:
    endpoint: ${httpSink.url}
    retry_on_failure: { initial_interval: 50ms, max_interval: 200ms }
  otlphttp/json:
    endpoint: ${jsonSink.url}
    encoding: json
    retry_on_failure: { initial_interval: 50ms, max_interval: 200ms }
  otlp:
    endpoint: ${grpcSink.grpcEndpoint}
    tls: { insecure: true }
    retry_on_failure: { initial_interval: 50ms, max_interval: 200ms }
    sending_queue: { storage: file_storage }
service:
  extensions: [file_storage]
  pipelines:
    traces: { receivers: [otlp], exporters: [otlphttp/proto, otlphttp/json, otlp] }
    metrics: { receivers: [otlp], exporters: [otlphttp/proto, otlphttp/json, otlp] }
  telemetry:
    metrics: { address: 127.0.0.1:${metricsPort} }
`),
  );
});

afterAll(async () => {
  await gateway?.stop();
  await Promise.all([httpSink, jsonSink, grpcSink].map((s) => s?.close()));
});

beforeEach(() => {
  for (const s of [httpSink, jsonSink, grpcSink]) {
    s.requests.length = 0;
    s.refusals.length = 0;
    s.partialSuccess(0);
  }
});

const spans = (n: number, tag: string) => ({
  resourceSpans: [{ scopeSpans: [{ spans: Array.from({ length: n }, (_, i) => ({ traceId: '5b8efff798038103d269b633813fc60c', spanId: `${tag}${String(i).padStart(2, '0')}`.padEnd(16, '0'), name: `${tag}-${i}`, kind: 1, startTimeUnixNano: '1', endTimeUnixNano: '2' })) }] }],
});
const points = (n: number, name: string) => ({
  resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name, gauge: { dataPoints: Array.from({ length: n }, (_, i) => ({ asInt: String(i), timeUnixNano: '1' })) } }] }] }],
});
const post = async (path: string, body: unknown) => (await fetch(`http://127.0.0.1:${httpPort}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })).status;

/** The value of one counter series on the gateway's /metrics (0 when absent). */
async function counter(name: string, labels: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('backend answers for spans and data points, through the built gateway', () => {
  it('counts and logs partial_success rejected_spans / rejected_data_points on every exporter, without retrying', async () => {
    for (const s of [httpSink, jsonSink, grpcSink]) s.partialSuccess(2, 'two items had no name');
    expect(await post('/v1/traces', spans(5, 'aa'))).toBe(200);
    expect(await post('/v1/metrics', points(4, 'partial'))).toBe(200);
    for (const s of [httpSink, jsonSink, grpcSink]) {
      await s.waitForItems('traces', 5);
      await s.waitForItems('metrics', 4);
    }
    for (const exporter of ['otlphttp/proto', 'otlphttp/json', 'otlp']) {
      await expect.poll(() => counter('gateway_exporter_partial_rejected_spans_total', `exporter="${exporter}"`)).toBe(2);
      await expect.poll(() => counter('gateway_exporter_partial_rejected_metric_points_total', `exporter="${exporter}"`)).toBe(2);
      expect(await counter('otelcol_exporter_sent_spans_total', `exporter="${exporter}"`)).toBe(5);
    }
    // A partial success is final: nothing is sent twice.
    for (const s of [httpSink, jsonSink, grpcSink]) expect(s.requests).toHaveLength(2);
    expect(gateway.stderr()).toMatch(/backend rejected part of a request \(partial success; not retried\).*spans.*2/);
    expect(gateway.stderr()).toContain('two items had no name');
  });

  it('retries spans the gRPC backend answers UNAVAILABLE until it takes them', async () => {
    const retriesBefore = await counter('gateway_exporter_retries_total', 'exporter="otlp"');
    grpcSink.failNext(2, { grpc: grpc.status.UNAVAILABLE, message: 'backend restarting' });
    expect(await post('/v1/traces', spans(3, 'bb'))).toBe(200);
    await grpcSink.waitForItems('traces', 3);
    expect(grpcSink.refusals.map((r) => r.status)).toEqual([grpc.status.UNAVAILABLE, grpc.status.UNAVAILABLE]);
    expect(grpcSink.items('traces')).toBe(3);
    expect(await counter('gateway_exporter_retries_total', 'exporter="otlp"')).toBe(retriesBefore + 2);
  });

  it('dead-letters data points the gRPC backend answers INVALID_ARGUMENT, in the otlp#metrics store', async () => {
    grpcSink.failNext(1, { grpc: grpc.status.INVALID_ARGUMENT, message: 'metric name not allowed' });
    expect(await post('/v1/metrics', points(3, 'refused'))).toBe(200);
    await expect.poll(() => counter('gateway_exporter_dead_lettered_metric_points_total', 'exporter="otlp",reason="permanent"'), { timeout: 10_000 }).toBe(3);
    expect(grpcSink.items('metrics')).toBe(0);
    const dead = await deadLettersIn(storageDir, 'otlp#metrics');
    expect(dead).toHaveLength(1);
    expect(dead[0].reason).toMatch(/INVALID_ARGUMENT|metric name not allowed/);
    // The other exporters delivered them: one backend's refusal is not another's.
    await httpSink.waitForItems('metrics', 3);
    await jsonSink.waitForItems('metrics', 3);
  });

  it('over OTLP/HTTP too: spans answered 503 are retried, spans answered 400 are dead-lettered', async () => {
    jsonSink.failNext(1, { http: 503, message: 'overloaded' });
    httpSink.failNext(1, { http: 400, message: 'span name too long' });
    expect(await post('/v1/traces', spans(4, 'cc'))).toBe(200);
    await jsonSink.waitForItems('traces', 4);
    expect(jsonSink.refusals.map((r) => r.status)).toEqual([503]);
    await expect.poll(() => counter('gateway_exporter_dead_lettered_spans_total', 'exporter="otlphttp/proto",reason="permanent"'), { timeout: 10_000 }).toBe(4);
    expect(httpSink.items('traces')).toBe(0);
    await grpcSink.waitForItems('traces', 4);
  });

  it('the receiver answers gRPC TraceService and MetricsService: OK to the SDK exporter, INVALID_ARGUMENT to bytes that are no request', async () => {
    const sdkSpans = await makeSpans('grpc-receiver');
    await exportWith(traceExporter('grpc', `http://127.0.0.1:${httpPort}`, `127.0.0.1:${grpcPort}`), sdkSpans);
    await grpcSink.waitForItems('traces', sdkSpans.length);
    const client = new grpc.Client(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
    const call = (path: string, body: Buffer) =>
      new Promise<grpc.ServiceError | null>((resolve) => client.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, body, (err) => resolve(err)));
    const garbage = Buffer.from([0x0a, 0x05, 0x01]);
    for (const service of ['trace.v1.TraceService', 'metrics.v1.MetricsService']) {
      const err = await call(`/opentelemetry.proto.collector.${service}/Export`, garbage);
      expect(err?.code, service).toBe(grpc.status.INVALID_ARGUMENT);
    }
    const valid = Buffer.from(requestType('metrics').encode(requestType('metrics').fromObject(points(2, 'raw-grpc'))).finish());
    expect(await call('/opentelemetry.proto.collector.metrics.v1.MetricsService/Export', valid)).toBeNull();
    client.close();
    await grpcSink.waitForItems('metrics', 2);
  });
});
