import { afterEach, describe, expect, it } from 'vitest';
import { PermanentError, RetryableError } from '../../../src/errors.js';
import { newLogRecord, type Logs } from '../../../src/pdata/model.js';
import { decodeExportResponse, encodeLogs } from '../../../src/pdata/proto.js';
import { decodeStatus } from '../../../src/transport/rpc-status.js';
import { attr } from '../../../src/pdata/values.js';
import { counterValue, startReceiver, statusOf, type Running } from './harness.js';

const PROTO = 'application/x-protobuf';
const JSON_TYPE = 'application/json';

function sampleLogs(n = 1, traceIdBytes = 16): Logs {
  const logRecords = Array.from({ length: n }, (_, i) =>
    newLogRecord({ timeUnixNano: 1_700_000_000_000_000_000n + BigInt(i), body: { stringValue: `line ${i}` }, traceId: new Uint8Array(traceIdBytes).fill(7) }),
  );
  return { resourceLogs: [{ schemaUrl: '', resource: { attributes: [attr('service.name', 'svc')], droppedAttributesCount: 0 }, scopeLogs: [{ schemaUrl: '', logRecords }] }] };
}

const ONE_JSON_LOG = JSON.stringify({
  resourceLogs: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] }, scopeLogs: [{ logRecords: [{ timeUnixNano: '1700000000000000000', body: { stringValue: 'hello' } }] }] }],
});

let run: Running | undefined;
afterEach(async () => {
  await run?.receiver.shutdown();
  run = undefined;
});

async function post(path: string, body: RequestInit['body'], headers: Record<string, string> = { 'content-type': PROTO }, method = 'POST') {
  return fetch(`${run!.httpUrl}${path}`, { method, body: method === 'GET' ? undefined : body, headers });
}


describe('otlp receiver over HTTP: answers', () => {
  it('accepts OTLP/protobuf and answers with a protobuf ExportLogsServiceResponse', async () => {
    run = await startReceiver({ http: { endpoint: '127.0.0.1:0' } });
    const res = await post('/v1/logs', encodeLogs(sampleLogs(3)));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(PROTO);
    expect(decodeExportResponse(new Uint8Array(await res.arrayBuffer()))).toEqual({ rejectedLogRecords: 0n, errorMessage: '' });
    expect(run.next.received).toEqual([sampleLogs(3)]);
    expect(await counterValue(run.telemetry.receiverAccepted, { receiver: 'otlp', transport: 'http' })).toBe(3);
  });

  it('accepts OTLP/JSON with a charset parameter and answers in JSON', async () => {
    run = await startReceiver({ http: { endpoint: '127.0.0.1:0' } });
    const res = await post('/v1/logs', ONE_JSON_LOG, { 'content-type': 'application/json; charset=utf-8' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(JSON_TYPE);
    expect(await res.json()).toEqual({});
    expect(run.next.received[0].resourceLogs[0].scopeLogs[0].logRecords[0]).toMatchObject({ timeUnixNano: 1_700_000_000_000_000_000n, body: { stringValue: 'hello' } });
  });

  it('serves a custom logs_url_path', async () => {
    run = await startReceiver({ http: { endpoint: '127.0.0.1:0', logs_url_path: '/ingest' } });
    expect((await post('/ingest', encodeLogs(sampleLogs()))).status).toBe(200);
    expect((await post('/v1/logs', encodeLogs(sampleLogs()))).status).toBe(404);
  });

  it('answers an empty request with 200 without calling the next consumer', async () => {
    run = await startReceiver({ http: { endpoint: '127.0.0.1:0' } });
    const res = await post('/v1/logs', new Uint8Array(0));
    expect(res.status).toBe(200);
    const json = await post('/v1/logs', '{"resourceLogs":[]}', { 'content-type': JSON_TYPE });
    expect(json.status).toBe(200);
    expect(run.next.calls).toBe(0);
  });

  it('drops records with impossible ids, reports them in partial_success and forwards the rest', async () => {
    run = await startReceiver({ http: { endpoint: '127.0.0.1:0' } });
    const logs = sampleLogs(2);
    logs.resourceLogs[0].scopeLogs[0].logRecords.push(newLogRecord({ spanId: new Uint8Array(3) }));
    const res = await post('/v1/logs', encodeLogs(logs));
    expect(res.status).toBe(200);
    const answer = decodeExportResponse(new Uint8Array(await res.arrayBuffer()));
    expect(answer.rejectedLogRecords).toBe(1n);
    expect(answer.errorMessage).toMatch(/span_id must be 0 or 8 bytes, got 3/);
    expect(run.next.received).toEqual([sampleLogs(2)]);
    expect(await counterValue(run.telemetry.receiverRefused, { receiver: 'otlp', transport: 'http' })).toBe(1);
  });

  it('reports partial_success in OTLP/JSON too', async () => {
    run = await startReceiver({ http: { endpoint: '127.0.0.1:0' } });
    const body = JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ traceId: 'abcd', body: { stringValue: 'x' } }] }] }] });
    const res = await post('/v1/logs', body, { 'content-type': JSON_TYPE });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ partialSuccess: { rejectedLogRecords: '1', errorMessage: expect.stringMatching(/trace_id/) } });
    expect(run.next.calls).toBe(0);
  });
});

describe('otlp receiver over HTTP: refusals', () => {
  const cases: { name: string; status: number; send: () => Promise<Response>; headers?: Record<string, string> }[] = [
    { name: 'an unknown path', status: 404, send: () => post('/v1/traces', encodeLogs(sampleLogs())) },
    { name: 'GET on the logs path', status: 405, send: () => post('/v1/logs', '', { 'content-type': PROTO }, 'GET'), headers: { allow: 'POST' } },
    { name: 'PUT on the logs path', status: 405, send: () => post('/v1/logs', encodeLogs(sampleLogs()), { 'content-type': PROTO }, 'PUT'), headers: { allow: 'POST' } },
    { name: 'an unsupported content type', status: 415, send: () => post('/v1/logs', 'hello', { 'content-type': 'text/plain' }) },
    { name: 'a missing content type', status: 415, send: () => post('/v1/logs', new Blob([encodeLogs(sampleLogs())]), {}) },
    { name: 'an unsupported content encoding', status: 415, send: () => post('/v1/logs', encodeLogs(sampleLogs()), { 'content-type': PROTO, 'content-encoding': 'br' }) },
    { name: 'a malformed protobuf body', status: 400, send: () => post('/v1/logs', new Uint8Array([0x0a, 0xff, 0xff, 0xff])) },
    { name: 'a malformed JSON body', status: 400, send: () => post('/v1/logs', '{"resourceLogs": [', { 'content-type': JSON_TYPE }) },
    { name: 'JSON that is not an OTLP request', status: 400, send: () => post('/v1/logs', '{"resourceLogs": 5}', { 'content-type': JSON_TYPE }) },
    { name: 'a corrupt gzip body', status: 400, send: () => post('/v1/logs', new Uint8Array([0x1f, 0x8b, 1, 2, 3, 4]), { 'content-type': PROTO, 'content-encoding': 'gzip' }) },
    { name: 'a body over max_request_body_size', status: 413, send: () => post('/v1/logs', new Uint8Array(2048).fill(0x0a)) },
  ];

  for (const c of cases) {
    it(`answers ${c.status} to ${c.name} with a google.rpc.Status, then keeps serving`, async () => {
      run = await startReceiver({ http: { endpoint: '127.0.0.1:0', max_request_body_size: 1024 } });
      const res = await c.send();
      expect(res.status).toBe(c.status);
      for (const [k, v] of Object.entries(c.headers ?? {})) expect(res.headers.get(k)).toBe(v);
      const status = await statusOf(res);
      expect(status.message.length).toBeGreaterThan(0);
      expect(status.code).toBeGreaterThan(0);
      expect(await counterValue(run.telemetry.receiverRequestsRefused, { receiver: 'otlp', transport: 'http', status: String(c.status) })).toBe(1);

      const good = await post('/v1/logs', encodeLogs(sampleLogs()));
      expect(good.status).toBe(200);
      expect(run.next.received).toHaveLength(1);
    });
  }

  it('answers protobuf clients with a protobuf Status and JSON clients with a JSON Status', async () => {
    run = await startReceiver({ http: { endpoint: '127.0.0.1:0' } });
    const proto = await post('/v1/logs', new Uint8Array([0xff]));
    expect(proto.headers.get('content-type')).toBe(PROTO);
    expect(decodeStatus(new Uint8Array(await proto.arrayBuffer()))).toMatchObject({ code: 3, message: expect.stringMatching(/protobuf/) });
    const json = await post('/v1/logs', 'nope', { 'content-type': JSON_TYPE });
    expect(json.headers.get('content-type')).toBe(JSON_TYPE);
    expect(await json.json()).toMatchObject({ code: 3, message: expect.any(String) });
  });
});

describe('otlp receiver over HTTP: downstream refusals', () => {
  it('answers 503 with Retry-After in whole seconds when downstream is unavailable', async () => {
    run = await startReceiver({ http: { endpoint: '127.0.0.1:0' } });
    run.next.failWith = new RetryableError('exporter queue unavailable', 1500);
    const res = await post('/v1/logs', encodeLogs(sampleLogs(2)));
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('2');
    expect((await statusOf(res)).message).toBe('exporter queue unavailable');
    expect(await counterValue(run.telemetry.receiverRefused, { receiver: 'otlp', transport: 'http' })).toBe(2);
    expect(await counterValue(run.telemetry.receiverAccepted, { receiver: 'otlp', transport: 'http' })).toBe(0);
  });

  it('answers 429 with the default Retry-After when downstream is throttled (queue full)', async () => {
    run = await startReceiver({ http: { endpoint: '127.0.0.1:0' } });
    run.next.failWith = new RetryableError('queue full', undefined, 'QUEUE_FULL');
    const res = await post('/v1/logs', ONE_JSON_LOG, { 'content-type': JSON_TYPE });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.json()).toMatchObject({ code: 8, message: 'queue full' });
    expect(await counterValue(run.telemetry.receiverRequestsRefused, { receiver: 'otlp', transport: 'http', status: '429' })).toBe(1);
  });

  it('answers 400 when downstream refuses the data permanently', async () => {
    run = await startReceiver({ http: { endpoint: '127.0.0.1:0' } });
    run.next.failWith = new PermanentError('record too large for every exporter');
    const res = await post('/v1/logs', encodeLogs(sampleLogs()));
    expect(res.status).toBe(400);
    expect(res.headers.get('retry-after')).toBeNull();
  });

  it('answers 503 (not a crash, not a hang) when downstream fails unexpectedly, then keeps serving', async () => {
    run = await startReceiver({ http: { endpoint: '127.0.0.1:0' } });
    run.next.failWith = new TypeError('boom');
    const res = await post('/v1/logs', encodeLogs(sampleLogs()));
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).not.toBeNull();
    expect((await statusOf(res)).message).not.toMatch(/boom/);
    run.next.failWith = undefined;
    expect((await post('/v1/logs', encodeLogs(sampleLogs()))).status).toBe(200);
  });
});
