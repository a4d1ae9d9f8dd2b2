import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { PermanentError, RetryableError } from '../../../src/errors.js';
import { executionsToLogs } from '../../../src/receivers/make/mapping.js';
import { MAX_WEBHOOK_BODY_BYTES } from '../../../src/receivers/make/webhook.js';
import { Sink, flatten, linesText, startReceiver, storageHost, type Harness } from './helpers.js';

const API_KEY = 'whk-7d1e0c2b-secret-key';

const execution = {
  scenarioId: 1229,
  scenarioName: 'Order sync',
  imtId: '1632371744497_scenario.1229.auto.da518adcd14b4b64ac6358823ccb80ca',
  duration: 19979,
  operations: 10,
  centicredits: 1000,
  transfer: 3942,
  organizationId: 21,
  teamId: 27,
  id: 'da518adcd14b4b64ac6358823ccb80ca',
  type: 'auto',
  authorId: null,
  instant: false,
  timestamp: '2021-09-23T04:35:44.497Z',
  status: 3,
};

describe('make receiver: webhook', () => {
  let h: Harness | undefined;
  let sink: Sink;
  afterEach(async () => {
    await h?.receiver.shutdown();
    h = undefined;
  });

  async function start(webhook: Record<string, unknown> = {}) {
    sink = new Sink();
    h = await startReceiver({ zone: 'eu1.make.com', webhook: { endpoint: '127.0.0.1:0', api_key: API_KEY, ...webhook } }, sink, storageHost());
    return `http://127.0.0.1:${h.receiver.webhookAddress()!.port}`;
  }
  async function post(url: string, body: string | object, headers: Record<string, string> = {}, method = 'POST') {
    const res = await fetch(url, {
      method,
      headers: { 'content-type': 'application/json', 'x-make-apikey': API_KEY, ...headers },
      body: method === 'GET' ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, headers: res.headers, body: await res.text() };
  }
  const refused = async (status: number) => {
    const m = /gateway_receiver_refused_requests_total\{receiver="make",transport="http",status="(\d+)"\} (\d+)/.exec(await h!.telemetry.metrics());
    return m && m[1] === String(status) ? Number(m[2]) : 0;
  };

  it('accepts an execution object with x-make-apikey and maps it exactly like a polled one', async () => {
    const url = await start();
    const res = await post(url, execution);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ accepted: 1, duplicates: 0 });
    const [pushed] = sink.records();
    const { scenarioId, scenarioName, ...polledShape } = execution;
    const [polled] = flatten(executionsToLogs({ serviceName: 'make', zone: 'eu1.make.com' }, { id: scenarioId, name: scenarioName, teamId: 27, organizationId: 21 }, [polledShape], 0));
    expect(pushed.resource).toEqual(polled.resource);
    expect(pushed.attributes).toEqual(polled.attributes);
    expect({ ...pushed.record, observedTimeUnixNano: 0n }).toEqual({ ...polled.record, observedTimeUnixNano: 0n });
    expect(pushed.record.severityText).toBe('ERROR');
    expect(await h!.telemetry.metrics()).toContain('otelcol_receiver_accepted_log_records_total{receiver="make",transport="http"} 1');
  });

  it('accepts an array in one request, with Authorization: Bearer', async () => {
    const url = await start();
    const res = await post(url, [execution, { message: 'hello', level: 'warn' }], { 'x-make-apikey': '', authorization: `Bearer ${API_KEY}` });
    expect(res.status).toBe(401); // an empty x-make-apikey is a wrong key, not "absent"
    const ok = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` }, body: JSON.stringify([execution, { message: 'hello', level: 'warn' }]) });
    expect(ok.status).toBe(200);
    expect(sink.accepted).toHaveLength(1); // one consume for the whole request
    expect(sink.records()).toHaveLength(2);
  });

  it('maps a free-form object: message → body, level → severity, timestamp → time, the rest → attributes', async () => {
    const url = await start();
    await post(url, { msg: 'payment failed', severity: 'error', timestamp: '2026-01-02T03:04:05.678Z', order: 42, ratio: 0.5, tags: ['a'], nested: { ok: true } });
    await post(url, { message: { code: 7 }, level: 13, timestamp: 1767323045678 });
    await post(url, { message: 'odd', level: 'loud' });
    const [a, b, c] = sink.records();
    expect(a.record.body).toEqual({ stringValue: 'payment failed' });
    expect([a.record.severityNumber, a.record.severityText]).toEqual([17, 'ERROR']);
    expect(a.record.timeUnixNano).toBe(1767323045678n * 1_000_000n);
    expect(a.attributes).toEqual({ order: 42n, ratio: 0.5, tags: ['a'], nested: { ok: true } });
    expect(a.record.eventName).toBe('');
    expect(a.resource).toEqual({ 'service.name': 'make', 'make.zone': 'eu1.make.com' });
    expect(b.record.body).toEqual({ kvlistValue: { values: [{ key: 'code', value: { intValue: 7n } }] } });
    expect([b.record.severityNumber, b.record.severityText]).toEqual([13, 'WARN']);
    expect(b.record.timeUnixNano).toBe(1767323045678n * 1_000_000n);
    expect([c.record.severityNumber, c.record.severityText]).toEqual([0, 'loud']);
    expect(c.record.timeUnixNano).toBe(0n);
    expect(c.attributes).toEqual({});
  });

  it.each([
    ['a wrong key', { 'x-make-apikey': 'nope' }],
    ['no key', { 'x-make-apikey': undefined as unknown as string }],
    ['a wrong bearer', { 'x-make-apikey': undefined as unknown as string, authorization: 'Bearer nope' }],
  ])('refuses %s with 401 and consumes nothing', async (_name, headers) => {
    const url = await start();
    const clean = Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined));
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...clean }, body: JSON.stringify(execution) });
    expect(res.status).toBe(401);
    expect(sink.accepted).toEqual([]);
    expect(await refused(401)).toBe(1);
  });

  it('refuses malformed JSON with 400, a non-JSON content type with 415, GET with 405 and another path with 404', async () => {
    const url = await start({ path: '/make' });
    expect((await post(url + '/make', '{"message": ')).status).toBe(400);
    expect((await post(url + '/make', 'message=hi', { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(415);
    const get = await post(url + '/make', '', {}, 'GET');
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect((await post(url + '/other', execution)).status).toBe(404);
    expect(sink.accepted).toEqual([]);
    const metrics = await h!.telemetry.metrics();
    for (const st of [400, 415, 405, 404]) expect(metrics).toContain(`gateway_receiver_refused_requests_total{receiver="make",transport="http",status="${st}"} 1`);
  });

  it('refuses a whole array with 400 when one element is not an object', async () => {
    const url = await start();
    const res = await post(url, [execution, 'just a string']);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error).toMatch(/element 1/);
    expect(sink.accepted).toEqual([]);
  });

  it('refuses a body over 10 MiB with 413', async () => {
    const url = await start();
    const res = await post(url, JSON.stringify({ message: 'x'.repeat(MAX_WEBHOOK_BODY_BYTES) }));
    expect(res.status).toBe(413);
    expect(sink.accepted).toEqual([]);
  });

  it('refuses a streamed (chunked) body that grows past 10 MiB with 413', async () => {
    const url = new URL(await start());
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, method: 'POST', path: '/', headers: { 'content-type': 'application/json', 'x-make-apikey': API_KEY } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      let sent = 0;
      const pump = () => {
        while (sent <= MAX_WEBHOOK_BODY_BYTES / chunk.length) {
          sent++;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
    expect(status).toBe(413);
    expect(sink.accepted).toEqual([]);
  });

  it('answers 503 with Retry-After when downstream is unavailable, 429 when it is full, 400 when it refuses for good', async () => {
    const url = await start();
    sink.refuseNext(new RetryableError('exporter down', 5000), new RetryableError('queue full', 2000, 'QUEUE_FULL'), new PermanentError('bad data'));
    const unavailable = await post(url, execution);
    expect([unavailable.status, unavailable.headers.get('retry-after')]).toEqual([503, '5']);
    const full = await post(url, execution);
    expect([full.status, full.headers.get('retry-after')]).toEqual([429, '2']);
    expect((await post(url, execution)).status).toBe(400);
    expect(sink.accepted).toEqual([]);
    expect(await h!.telemetry.metrics()).toContain('otelcol_receiver_refused_log_records_total{receiver="make",transport="http"} 3');
    expect((await post(url, execution)).status).toBe(200);
  });

  it('never shows the api key in logs or metrics', async () => {
    const url = await start();
    await post(url, execution, { 'x-make-apikey': API_KEY + 'x' });
    await post(url, execution);
    expect(linesText(h!.logger.lines) + (await h!.telemetry.metrics())).not.toContain(API_KEY);
  });
});
