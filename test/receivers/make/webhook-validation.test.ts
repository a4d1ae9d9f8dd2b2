import { afterEach, describe, expect, it } from 'vitest';
import { RetryableError } from '../../../src/errors.js';
import { Sink, startReceiver, storageHost, type Harness } from './helpers.js';

const API_KEY = 'whk-validation-secret';

const execution = {
  scenarioId: 1229,
  imtId: '1632371744497_scenario.1229.auto.da518adcd14b4b64ac6358823ccb80ca',
  duration: 19979,
  operations: 10,
  centicredits: 1000,
  transfer: 3942,
  organizationId: 21,
  teamId: 27,
  id: 'da518adcd14b4b64ac6358823ccb80ca',
  type: 'auto',
  timestamp: '2021-09-23T04:35:44.497Z',
  status: 3,
};

function nested(depth: number): unknown {
  let v: unknown = 'leaf';
  for (let i = 0; i < depth; i++) v = { d: v };
  return v;
}

describe('make receiver: webhook payload validation and dedup', () => {
  let h: Harness | undefined;
  let sink: Sink;
  afterEach(async () => {
    await h?.receiver.shutdown();
    h = undefined;
  });

  async function start(webhook: Record<string, unknown> = {}, downstream: Sink = new Sink()) {
    sink = downstream;
    h = await startReceiver({ zone: 'eu1.make.com', webhook: { endpoint: '127.0.0.1:0', api_key: API_KEY, ...webhook } }, sink, storageHost());
    return `http://127.0.0.1:${h.receiver.webhookAddress()!.port}`;
  }
  async function post(url: string, body: string | unknown) {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-make-apikey': API_KEY },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as { error?: string; accepted?: number; duplicates?: number } };
  }

  it.each([
    ['a scenarioId that is not an integer', { ...execution, scenarioId: 'abc' }, 'body.scenarioId'],
    ['a fractional scenarioId', { ...execution, scenarioId: 12.5 }, 'body.scenarioId'],
    ['a status outside Make\'s enum', { ...execution, status: 7 }, 'body.status'],
    ['a status name Make does not use', { ...execution, status: 'failed' }, 'body.status'],
    ['a missing status', { ...execution, status: undefined }, 'body.status'],
    ['an unreadable timestamp', { ...execution, timestamp: 'yesterday' }, 'body.timestamp'],
    ['a timestamp that would be 1970', { ...execution, timestamp: 0 }, 'body.timestamp'],
    ['a non-RFC 3339 date text', { ...execution, timestamp: 'March 7, 2024' }, 'body.timestamp'],
    ['a negative duration', { ...execution, duration: -5 }, 'body.duration'],
    ['operations as text', { ...execution, operations: 'ten' }, 'body.operations'],
    ['a non-string execution id', { ...execution, id: 42 }, 'body.id'],
    ['a free-form record with a bad timestamp', { message: 'x', timestamp: 'soon' }, 'body.timestamp'],
    ['a bad element in an array', [{ message: 'fine' }, { ...execution, status: 9 }], '[1].status'],
    ['an integer outside int64', { message: 'x', big: 1e20 }, 'body.big'],
    ['a negative integer outside int64', { message: 'x', n: { m: -1e19 } }, 'body.n.m'],
    ['values nested deeper than 64', { message: 'x', deep: nested(70) }, 'body.deep'],
  ])('refuses %s with 400 naming the field and delivers nothing', async (_name, body, field) => {
    const url = await start();
    const res = await post(url, body);
    expect(res.status).toBe(400);
    expect(res.body.error).toContain(field);
    expect(sink.accepted).toEqual([]);
  });

  it('refuses a body nested 100000 deep with 400, not a stack overflow or 500', async () => {
    const url = await start();
    const text = '{"message":"x","a":' + '['.repeat(100_000) + ']'.repeat(100_000) + '}';
    const res = await post(url, text);
    expect(res.status).toBe(400);
    expect(sink.accepted).toEqual([]);
  });

  it('accepts values nested exactly 64 deep and int64 extremes that fit', async () => {
    const url = await start();
    const res = await post(url, { message: 'x', deep: nested(63), big: 9007199254740991, small: -9007199254740991 });
    expect(res.status).toBe(200);
    expect(sink.records()).toHaveLength(1);
  });

  it('detects epoch seconds and epoch milliseconds and RFC 3339 with an offset', async () => {
    const url = await start();
    const at = Date.parse('2026-01-02T03:04:05Z');
    for (const ts of [at / 1000, at, String(at / 1000), '2026-01-02T04:04:05+01:00']) {
      expect((await post(url, { ...execution, id: undefined, imtId: undefined, timestamp: ts })).status).toBe(200);
    }
    expect(sink.records().map((r) => r.record.timeUnixNano)).toEqual(Array(4).fill(BigInt(at) * 1_000_000n));
  });

  it('accepts status names and numeric text', async () => {
    const url = await start();
    expect((await post(url, [{ ...execution, id: undefined, status: 'Warning' }, { ...execution, id: undefined, status: '1' }])).status).toBe(200);
    expect(sink.records().map((r) => r.attributes['make.execution.status'])).toEqual(['warning', 'success']);
  });

  it('delivers a pushed execution once when Make pushes it twice, and counts the duplicate', async () => {
    const url = await start();
    const first = await post(url, execution);
    const second = await post(url, execution);
    const inOne = await post(url, [execution, { ...execution, id: 'ffffffffffffffffffffffffffffffff' }, { ...execution, id: 'ffffffffffffffffffffffffffffffff' }]);
    expect([first.status, second.status, inOne.status]).toEqual([200, 200, 200]);
    expect(first.body).toEqual({ accepted: 1, duplicates: 0 });
    expect(second.body).toEqual({ accepted: 0, duplicates: 1 });
    expect(inOne.body).toEqual({ accepted: 1, duplicates: 2 });
    expect(sink.records().map((r) => r.attributes['make.execution.id'])).toEqual([execution.id, 'ffffffffffffffffffffffffffffffff']);
    expect(await h!.telemetry.metrics()).toContain('gateway_make_webhook_duplicates_total{receiver="make"} 3');
  });

  it('delivers the retry of a push that was refused with 503 (the id is not remembered)', async () => {
    const flaky = new Sink();
    flaky.refuseNext(new RetryableError('queue busy'));
    const url = await start({}, flaky);
    expect((await post(url, execution)).status).toBe(503);
    expect((await post(url, execution)).status).toBe(200);
    expect(flaky.records()).toHaveLength(1);
  });

  it('forgets ids after dedup_window', async () => {
    const url = await start({ dedup_window: '200ms' });
    await post(url, execution);
    await new Promise((r) => setTimeout(r, 400));
    expect((await post(url, execution)).body).toEqual({ accepted: 1, duplicates: 0 });
    expect(sink.records()).toHaveLength(2);
  });
});
