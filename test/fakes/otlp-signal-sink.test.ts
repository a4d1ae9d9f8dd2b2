import * as grpc from '@grpc/grpc-js';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestType, responseType } from './otlp-signal-codec.js';
import { OtlpSignalSink } from './otlp-signal-sink.js';

/** The all-signal OTLP sink is as strict as a Collector's otlp receiver: what it refuses and how. */
let sink: OtlpSignalSink;
beforeAll(async () => {
  sink = await OtlpSignalSink.start();
});
afterAll(() => sink.close());

const spans = { resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174', name: 's', kind: 1 }] }] }] };
const post = (path: string, body: string | Buffer, headers: Record<string, string>) => fetch(`${sink.url}${path}`, { method: 'POST', headers, body });

describe('OtlpSignalSink strictness', () => {
  it('refuses an unknown path 404, a GET 405, a media type other than protobuf or JSON 415, a body that is not the request 400', async () => {
    expect((await post('/v1/spans', JSON.stringify(spans), { 'Content-Type': 'application/json' })).status).toBe(404);
    expect((await fetch(`${sink.url}/v1/traces`)).status).toBe(405);
    expect((await post('/v1/traces', JSON.stringify(spans), { 'Content-Type': 'text/plain' })).status).toBe(415);
    expect((await post('/v1/traces', Buffer.from([0x0a, 0x05, 0x01]), { 'Content-Type': 'application/x-protobuf' })).status).toBe(400);
    expect((await post('/v1/metrics', '{"resourceMetrics": 5', { 'Content-Type': 'application/json' })).status).toBe(400);
    expect(sink.requests).toHaveLength(0);
    expect(sink.refusals.map((r) => r.status)).toEqual([404, 405, 415, 400, 400]);
  });

  it('accepts gzip protobuf and JSON, reading hex ids in JSON as the same bytes as in protobuf', async () => {
    const type = requestType('traces');
    const proto = Buffer.from(type.encode(type.fromObject({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: Buffer.from('5b8efff798038103d269b633813fc60c', 'hex'), spanId: Buffer.from('eee19b7ec3c1b174', 'hex'), name: 's', kind: 1 }] }] }] })).finish());
    expect((await post('/v1/traces', gzipSync(proto), { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'gzip' })).status).toBe(200);
    expect((await post('/v1/traces', JSON.stringify(spans), { 'Content-Type': 'application/json' })).status).toBe(200);
    const [fromProto, fromJson] = sink.of('traces').slice(-2);
    expect(fromProto!.body).toEqual(fromJson!.body);
    expect(fromJson!.items).toBe(1);
  });

  it('answers partial_success in the signal spelling: rejectedSpans in JSON, rejected_data_points in protobuf', async () => {
    sink.partialSuccess(1, 'one refused');
    const json = await (await post('/v1/traces', JSON.stringify(spans), { 'Content-Type': 'application/json' })).json();
    expect(json).toEqual({ partialSuccess: { rejectedSpans: '1', errorMessage: 'one refused' } });
    const metrics = { resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'm', gauge: { dataPoints: [{ asInt: '1' }] } }] }] }] };
    const res = await post('/v1/metrics', Buffer.from(requestType('metrics').encode(requestType('metrics').fromObject(metrics)).finish()), { 'Content-Type': 'application/x-protobuf' });
    const decoded = responseType('metrics').toObject(responseType('metrics').decode(Buffer.from(await res.arrayBuffer())), { longs: String });
    expect(decoded).toEqual({ partialSuccess: { rejectedDataPoints: '1', errorMessage: 'one refused' } });
    sink.partialSuccess(0);
  });

  it('answers gRPC INVALID_ARGUMENT to bytes that are not the request, and scripted failures with their status', async () => {
    const client = new grpc.Client(sink.grpcEndpoint, grpc.credentials.createInsecure());
    const call = (body: Buffer) =>
      new Promise<grpc.ServiceError | null>((resolve) => client.makeUnaryRequest('/opentelemetry.proto.collector.trace.v1.TraceService/Export', (b: Buffer) => b, (b: Buffer) => b, body, (err) => resolve(err)));
    expect((await call(Buffer.from([0x0a, 0x05, 0x01])))?.code).toBe(grpc.status.INVALID_ARGUMENT);
    sink.failNext(1, { grpc: grpc.status.UNAVAILABLE });
    const valid = Buffer.from(requestType('traces').encode(requestType('traces').fromObject({ resourceSpans: [{ scopeSpans: [{ spans: [{ name: 'g' }] }] }] })).finish());
    expect((await call(valid))?.code).toBe(grpc.status.UNAVAILABLE);
    expect(await call(valid)).toBeNull();
    client.close();
    expect(sink.of('traces').filter((r) => r.transport === 'grpc')).toHaveLength(1);
  });
});
