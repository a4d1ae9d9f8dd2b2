import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { LazyLogs } from '../../src/pdata/lazy-logs.js';
import { newLogRecord, SeverityNumber, type Logs } from '../../src/pdata/model.js';
import { encodeLogs } from '../../src/pdata/proto.js';
import { attr } from '../../src/pdata/values.js';
import type { LogsConsumer } from '../../src/pipeline/component.js';
import { TailHub, TailRequestError } from '../../src/tail/hub.js';
import type { TailEvent, TailSubscriber } from '../../src/tail/subscriber.js';
import { TailMetrics } from '../../src/tail/tail-metrics.js';

function logs(n: number, from = 0): Logs {
  const logRecords = Array.from({ length: n }, (_, i) =>
    newLogRecord({
      severityNumber: (from + i) % 2 === 0 ? SeverityNumber.ERROR : SeverityNumber.INFO,
      severityText: (from + i) % 2 === 0 ? 'ERROR' : 'INFO',
      body: { stringValue: `record ${from + i}` },
      attributes: [attr('seq', from + i)],
      timeUnixNano: 1_700_000_000_000_000_000n,
    }),
  );
  return { resourceLogs: [{ schemaUrl: '', resource: { attributes: [attr('service.name', 'svc')], droppedAttributesCount: 0 }, scopeLogs: [{ schemaUrl: '', logRecords }] }] };
}

function sink(): LogsConsumer & { got: Logs[] } {
  const got: Logs[] = [];
  return { got, consume: async (l) => void got.push(l) };
}

/** Everything buffered for `s` right now, without waiting for more. */
async function drain(s: TailSubscriber): Promise<TailEvent[]> {
  const out: TailEvent[] = [];
  for (;;) {
    const ev = await Promise.race([s.next(), new Promise<'idle'>((r) => setImmediate(() => r('idle')))]);
    if (ev === 'idle' || ev === undefined) return out;
    out.push(ev);
    if (ev.type === 'end') return out;
  }
}

const records = (evs: TailEvent[]) => evs.flatMap((e) => (e.type === 'record' ? [e.record] : []));

describe('live tail hub', () => {
  it('shows records matching where, ends at the limit, and leaves the records to the pipeline unchanged', async () => {
    const hub = new TailHub();
    const out = sink();
    const head = hub.tap('logs', undefined, out);
    const sub = hub.subscribe({ pipeline: 'logs', where: 'severity_number >= SEVERITY_NUMBER_ERROR', limit: 3 });
    await head.consume(logs(10));
    const evs = await drain(sub);
    expect(records(evs).map((r) => r.body)).toEqual(['record 0', 'record 2', 'record 4']);
    expect(records(evs)[0]).toMatchObject({ severity_text: 'ERROR', attributes: { seq: 0 }, resource: { 'service.name': 'svc' }, time: '2023-11-14T22:13:20.000Z' });
    expect(evs.at(-1)).toMatchObject({ type: 'end', code: 'limit', delivered: 3 });
    expect(out.got).toHaveLength(1);
    expect(out.got[0]!.resourceLogs[0]!.scopeLogs[0]!.logRecords).toHaveLength(10);
  });

  it('does not decode a request the pipeline forwards as bytes, with or without subscribers', async () => {
    const hub = new TailHub();
    const out = sink();
    const head = hub.tap('logs', undefined, out);
    const lazy = new LazyLogs(encodeLogs(logs(4)), 4);
    await head.consume(lazy);
    expect(lazy.pristine).toBe(true);
    const sub = hub.subscribe({});
    const lazy2 = new LazyLogs(encodeLogs(logs(4)), 4);
    await head.consume(lazy2);
    expect(lazy2.pristine).toBe(true);
    expect(records(await drain(sub))).toHaveLength(4);
  });

  it('samples under load and reports how many records were dropped', async () => {
    const hub = new TailHub({ ratePerSecond: 10, bufferRecords: 1000 });
    const head = hub.tap('logs', undefined, sink());
    const sub = hub.subscribe({});
    for (let i = 0; i < 10; i++) await head.consume(logs(10, i * 10));
    hub.shutdown();
    const evs = await drain(sub);
    const end = evs.at(-1);
    expect(end).toMatchObject({ type: 'end', code: 'shutdown' });
    if (end?.type !== 'end') throw new Error('no end');
    expect(end.dropped).toBeGreaterThan(0);
    expect(end.delivered + end.dropped).toBe(100);
    expect(records(evs)).toHaveLength(end.delivered);
  });

  it('cuts a slow subscriber off with a reason, without waiting for it and without touching the others', async () => {
    const registry = new Registry();
    const hub = new TailHub({ ratePerSecond: 1_000_000, bufferRecords: 5 }, new TailMetrics(registry));
    const out = sink();
    const head = hub.tap('logs', undefined, out);
    const slow = hub.subscribe({});
    const fast = hub.subscribe({ where: 'attributes["seq"] >= 15' });
    const seen: TailEvent[] = [];
    const reading = (async () => {
      for (let ev = await fast.next(); ev !== undefined; ev = await fast.next()) seen.push(ev);
    })();
    for (let i = 0; i < 4; i++) await head.consume(logs(5, i * 5));
    expect(out.got).toHaveLength(4);
    const slowEvents = await drain(slow);
    expect(slowEvents).toHaveLength(1);
    expect(slowEvents[0]).toMatchObject({ type: 'end', code: 'slow_subscriber' });
    expect((slowEvents[0] as { reason: string }).reason).toMatch(/cut off: the client read too slowly/);
    hub.shutdown();
    await reading;
    expect(records(seen).map((r) => r.attributes.seq)).toEqual([15, 16, 17, 18, 19]);
    const metrics = await registry.getMetricsAsJSON();
    const cut = metrics.find((m) => m.name === 'gateway_tail_cut_off_subscribers_total')!;
    expect(cut.values[0]).toMatchObject({ value: 1, labels: { pipeline: 'logs', reason: 'slow_subscriber' } });
  });

  it('taps the output of a chosen processor', async () => {
    const hub = new TailHub();
    const out = sink();
    const afterUpper = hub.tap('logs', 'transform/upper', out);
    const upper: LogsConsumer = {
      consume: (l) => {
        for (const r of l.resourceLogs[0]!.scopeLogs[0]!.logRecords) r.body = { stringValue: r.body!.stringValue!.toUpperCase() };
        return afterUpper.consume(l);
      },
    };
    const head = hub.tap('logs', undefined, upper);
    const before = hub.subscribe({ limit: 1 });
    const after = hub.subscribe({ processor: 'transform/upper', limit: 1 });
    await head.consume(logs(1));
    expect(records(await drain(before))[0]!.body).toBe('record 0');
    expect(records(await drain(after))[0]!.body).toBe('RECORD 0');
  });

  it('refuses bad requests with the status the API answers', () => {
    const hub = new TailHub();
    hub.tap('logs', undefined, sink());
    const refusal = (req: Parameters<TailHub['subscribe']>[0]) => {
      try {
        hub.subscribe(req);
      } catch (err) {
        if (err instanceof TailRequestError) return { status: err.status, message: err.message, column: err.column };
        throw err;
      }
      throw new Error('accepted');
    };
    expect(refusal({ where: 'severity_number >= ' })).toMatchObject({ status: 400, column: expect.any(Number) });
    expect(refusal({ where: 'attributes["a"] == "b" and )' }).message).toMatch(/column \d+/);
    expect(refusal({ pipeline: 'traces' })).toMatchObject({ status: 400, message: expect.stringMatching(/logs pipelines only/) });
    expect(refusal({ pipeline: 'metrics/x' }).status).toBe(400);
    expect(refusal({ pipeline: 'logs/nope' }).status).toBe(404);
    expect(refusal({ processor: 'batch' }).status).toBe(404);
    expect(refusal({ limit: -1 }).status).toBe(400);
  });
});
