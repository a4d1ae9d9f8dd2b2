import { request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { OpenAPIHono } from '@hono/zod-openapi';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { mountTail } from '../../src/extensions/admin/tail-route.js';
import { newLogRecord, SeverityNumber, type Logs } from '../../src/pdata/model.js';
import { attr } from '../../src/pdata/values.js';
import type { LogsConsumer } from '../../src/pipeline/component.js';
import { TailHub } from '../../src/tail/hub.js';
import { TailMetrics } from '../../src/tail/tail-metrics.js';

/** A record body big enough that a client that stops reading fills the socket buffers soon. */
const PADDING = 'x'.repeat(1000);

function batch(n: number, from: number): Logs {
  const logRecords = Array.from({ length: n }, (_, i) =>
    newLogRecord({
      severityNumber: (from + i) % 10 === 0 ? SeverityNumber.ERROR : SeverityNumber.INFO,
      body: { stringValue: `record ${from + i} ${PADDING}` },
      attributes: [attr('seq', from + i)],
    }),
  );
  return { resourceLogs: [{ schemaUrl: '', scopeLogs: [{ schemaUrl: '', logRecords }] }] };
}

interface Running {
  base: string;
  head: LogsConsumer;
  hub: TailHub;
  registry: Registry;
  server: ServerType;
}

let running: Running | undefined;

async function start(limits?: ConstructorParameters<typeof TailHub>[0]): Promise<Running> {
  const registry = new Registry();
  const hub = new TailHub(limits, new TailMetrics(registry));
  const head = hub.tap('logs', undefined, { consume: async () => {} });
  const app = new OpenAPIHono();
  mountTail(app, () => hub);
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;
  running = { base: `http://127.0.0.1:${port}`, head, hub, registry, server };
  return running;
}

afterEach(async () => {
  if (!running) return;
  running.hub.shutdown();
  const s = running.server;
  running = undefined;
  (s as import("node:http").Server).closeAllConnections();
  await new Promise((r) => s.close(r));
});

/** Server-Sent Events as the browser's EventSource reads them: blank-line separated blocks. */
async function* sseEvents(res: Response): AsyncGenerator<{ event: string; data: any }> {
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of res.body!) {
    text += decoder.decode(chunk as Uint8Array, { stream: true });
    for (let i = text.indexOf('\n\n'); i >= 0; i = text.indexOf('\n\n')) {
      const block = text.slice(0, i);
      text = text.slice(i + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
      const data = /^data: (.*)$/m.exec(block)?.[1];
      yield { event, data: data === undefined ? undefined : JSON.parse(data) };
    }
  }
}

async function* jsonLines(res: Response): AsyncGenerator<any> {
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of res.body!) {
    text += decoder.decode(chunk as Uint8Array, { stream: true });
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n')) {
      const line = text.slice(0, i);
      text = text.slice(i + 1);
      yield JSON.parse(line);
    }
  }
}

async function metric(registry: Registry, name: string): Promise<number> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  return (m?.values ?? []).reduce((a, v) => a + v.value, 0);
}

describe('GET /api/v1/tail', () => {
  it('streams matching records as Server-Sent Events and ends at the limit', async () => {
    const { base, head } = await start();
    const res = await fetch(`${base}/api/v1/tail?pipeline=logs&where=${encodeURIComponent('severity_number >= SEVERITY_NUMBER_ERROR')}&limit=3`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events: { event: string; data: any }[] = [];
    for await (const ev of sseEvents(res)) {
      events.push(ev);
      if (ev.event === 'ready') await head.consume(batch(100, 0));
    }
    expect(events[0]).toEqual({ event: 'ready', data: { pipeline: 'logs', processor: null, where: 'severity_number >= SEVERITY_NUMBER_ERROR', limit: 3 } });
    const records = events.filter((e) => e.event === 'record').map((e) => e.data);
    expect(records.map((r) => r.attributes.seq)).toEqual([0, 10, 20]);
    expect(records[0]).toMatchObject({ severity_number: 17 });
    expect(events.at(-1)).toMatchObject({ event: 'end', data: { code: 'limit', delivered: 3 } });
  });

  it('streams JSON lines with format=jsonl, one record object per line', async () => {
    const { base, head } = await start();
    const res = await fetch(`${base}/api/v1/tail?format=jsonl&where=${encodeURIComponent('attributes["seq"] >= 5')}&limit=2`);
    expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const lines: any[] = [];
    for await (const line of jsonLines(res)) {
      lines.push(line);
      if (line.event === 'ready') await head.consume(batch(10, 0));
    }
    expect(lines.filter((l) => l.event === undefined).map((l) => l.attributes.seq)).toEqual([5, 6]);
    expect(lines.at(-1)).toMatchObject({ event: 'end', code: 'limit' });
  });

  it('answers 400 with the column for a where that does not parse', async () => {
    const { base } = await start();
    const res = await fetch(`${base}/api/v1/tail?where=${encodeURIComponent('severity_number >= >= 3')}`);
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { code: string; message: string; column: number } };
    expect(error.code).toBe('bad_request');
    expect(error.column).toBeGreaterThan(1);
    expect(error.message).toContain(`column ${error.column}`);
  });

  it('refuses pipelines of other signals (400), unknown pipelines and processors (404), bad limits (400)', async () => {
    const { base } = await start();
    expect((await fetch(`${base}/api/v1/tail?pipeline=traces`)).status).toBe(400);
    expect((await fetch(`${base}/api/v1/tail?pipeline=metrics/x`)).status).toBe(400);
    expect((await fetch(`${base}/api/v1/tail?pipeline=logs/none`)).status).toBe(404);
    expect((await fetch(`${base}/api/v1/tail?processor=batch`)).status).toBe(404);
    expect((await fetch(`${base}/api/v1/tail?limit=ten`)).status).toBe(400);
    expect((await fetch(`${base}/api/v1/tail?format=xml`)).status).toBe(400);
  });

  it('cuts off a client that stops reading, with a reason, while another subscriber keeps getting its records', async () => {
    const { base, head, registry } = await start({ ratePerSecond: 1_000_000, bufferRecords: 50 });
    // The slow client: reads the first event, then stops reading (its socket buffers fill up).
    const slow = await new Promise<IncomingMessage>((resolve, reject) => {
      request(`${base}/api/v1/tail?format=jsonl`, resolve).on('error', reject).end();
    });
    await new Promise((r) => slow.once('data', r));
    slow.pause();
    const fastRes = await fetch(`${base}/api/v1/tail?format=jsonl&where=${encodeURIComponent('severity_number >= SEVERITY_NUMBER_ERROR')}`);
    const fast = jsonLines(fastRes);
    expect((await fast.next()).value).toMatchObject({ event: 'ready' });
    const fastSeen: number[] = [];
    const reading = (async () => {
      for await (const line of fast) if (line.event === undefined) fastSeen.push(line.attributes.seq);
    })();
    let sent = 0;
    while ((await metric(registry, 'gateway_tail_cut_off_subscribers_total')) === 0) {
      // Every consume resolves: the pipeline never waits for either subscriber.
      await head.consume(batch(100, sent));
      sent += 100;
      await new Promise((r) => setImmediate(r));
      expect(sent).toBeLessThan(2_000_000);
    }
    await head.consume(batch(100, sent));
    sent += 100;
    // The slow client reads on: what it had, then the reason it was cut off, then the end.
    slow.resume();
    let text = '';
    for await (const chunk of slow) text += chunk;
    const last = JSON.parse(text.trim().split('\n').at(-1)!);
    expect(last).toMatchObject({ event: 'end', code: 'slow_subscriber', reason: expect.stringContaining('cut off') });
    running!.hub.shutdown();
    await reading;
    expect(fastSeen).toEqual(Array.from({ length: sent / 10 }, (_, i) => i * 10));
  });
});
