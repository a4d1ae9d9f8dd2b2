import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, eventually, SECRETS, sendLogs, startAdminHarness, type AdminHarness } from './admin-harness.js';

/**
 * Issue 21, acceptance 1, 2 (in process) and 5: every admin route with auth refused and accepted,
 * unknown ids 404, bad input 400, no persistent queue 409, dead letters replayed on the running
 * gateway, an MCP SDK client over Streamable HTTP; and no answer ever carries a configured secret.
 */
let h: AdminHarness;
beforeAll(async () => {
  h = await startAdminHarness();
});
afterAll(async () => {
  await h?.stop();
});

const BACKEND = encodeURIComponent('otlphttp/backend');
const MEMORY = encodeURIComponent('otlphttp/memory');
const json = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

const ROUTES: [string, string, RequestInit?][] = [
  ['GET', '/api/v1/status'],
  ['GET', '/api/v1/pipelines/logs/stats'],
  ['GET', `/api/v1/exporters/${BACKEND}/queue`],
  ['GET', `/api/v1/exporters/${BACKEND}/dead-letters`],
  ['POST', `/api/v1/exporters/${BACKEND}/dead-letters/replay`, json({ all: true })],
  ['DELETE', `/api/v1/exporters/${BACKEND}/dead-letters?ids=999`, { method: 'DELETE' }],
  ['GET', '/api/v1/series'],
  ['GET', '/api/v1/openapi.json'],
  ['POST', '/api/v1/mcp', json({ jsonrpc: '2.0', id: 1, method: 'tools/list' })],
  ['POST', '/mcp', json({ jsonrpc: '2.0', id: 1, method: 'tools/list' })],
];

describe('admin API auth', () => {
  it.each(ROUTES)('refuses %s %s without a token and with a wrong one (401, JSON error)', async (_m, path, init) => {
    for (const token of [null, 'wrong-token']) {
      const res = await h.api(path, { ...init, token });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(await res.json()).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
    }
  });

  it.each(ROUTES.filter(([m]) => m === 'GET'))('answers %s %s with the token (200, JSON)', async (_m, path) => {
    const res = await h.api(path);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
  });
});

describe('admin API reads', () => {
  it('reports version, uptime, config hash and every pipeline with its components running', async () => {
    const body = await (await h.api('/api/v1/status')).json();
    expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(body.configHash).toMatch(/^[0-9a-f]{64}$/);
    expect(body.uptimeSeconds).toBeGreaterThanOrEqual(0);
    expect(body.state).toBe('ready');
    expect(body.pipelines).toEqual([
      { id: 'logs', receivers: [{ id: 'otlp', kind: 'receiver', state: 'running' }], processors: [], exporters: [{ id: 'otlphttp/backend', kind: 'exporter', state: 'running' }] },
      { id: 'logs/memory', receivers: [{ id: 'otlp', kind: 'receiver', state: 'running' }], processors: [], exporters: [{ id: 'otlphttp/memory', kind: 'exporter', state: 'running' }] },
    ]);
    expect(body.extensions.map((e: { id: string }) => e.id)).toEqual(['file_storage', 'bearertokenauth/admin', 'admin']);
  });

  it('counts records per pipeline and per exporter after traffic', async () => {
    const before = h.backend.recordCount();
    await sendLogs(h.otlpUrl, ['one', 'two', 'three']);
    await h.backend.waitForRecords(before + 6);
    const stats = await (await h.api(`/api/v1/pipelines/${encodeURIComponent('logs/memory')}/stats`)).json();
    expect(stats.pipeline).toBe('logs/memory');
    expect(stats.accepted).toBeGreaterThanOrEqual(3);
    expect(stats.exporters[0]).toMatchObject({ id: 'otlphttp/memory', accepted: expect.any(Number), sent: expect.any(Number) });
    await eventually(async () => (await (await h.api(`/api/v1/exporters/${BACKEND}/queue`)).json()).sent >= 3);
    const queue = await (await h.api(`/api/v1/exporters/${BACKEND}/queue`)).json();
    expect(queue).toMatchObject({ exporter: 'otlphttp/backend', refused: 0, queue: { enabled: true, persistent: true, capacity: expect.any(Number) }, retry: { failing: false } });
    expect(queue.accepted).toBeGreaterThanOrEqual(3);
  });

  it('answers 404 with a JSON error for unknown pipelines, exporters and routes', async () => {
    for (const path of ['/api/v1/pipelines/nope/stats', '/api/v1/exporters/nope/queue', '/api/v1/exporters/nope/dead-letters', '/api/v1/nothing-here']) {
      const res = await h.api(path);
      expect(res.status, path).toBe(404);
      expect((await res.json()).error.code).toBe('not_found');
    }
    const replay = await h.api('/api/v1/exporters/nope/dead-letters/replay', json({ all: true }));
    expect(replay.status).toBe(404);
  });

  it('serves rolling series for every exporter and pipeline', async () => {
    const body = await (await h.api('/api/v1/series')).json();
    expect(body).toMatchObject({ stepSeconds: 5, windowSeconds: 900 });
    const names = body.series.map((s: { name: string }) => s.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'exporter/otlphttp/backend/sent_records_per_second',
        'exporter/otlphttp/backend/queue_size',
        'pipeline/logs/accepted_records_per_second',
        'pipeline/logs/memory/accepted_records_per_second',
      ]),
    );
    expect(body.series.find((s: { name: string }) => s.name === 'exporter/otlphttp/backend/queue_size')).toMatchObject({ kind: 'exporter', id: 'otlphttp/backend', metric: 'queue_size' });
  });

  it('documents every route in the generated OpenAPI document', async () => {
    const doc = await (await h.api('/api/v1/openapi.json')).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual(
      ['/api/v1/status', '/api/v1/pipelines/{id}/stats', '/api/v1/exporters/{id}/queue', '/api/v1/exporters/{id}/dead-letters', '/api/v1/exporters/{id}/dead-letters/replay', '/api/v1/series', '/api/v1/tail'].sort(),
    );
  });
});

describe('dead letters on the running gateway', () => {
  it('lists what the backend refused, replays a selection that then arrives without a restart, and deletes the rest', async () => {
    h.backend.failAlways({ status: 400, message: 'refused by the test' });
    await sendLogs(h.otlpUrl, ['dead-1']);
    await sendLogs(h.otlpUrl, ['dead-2']);
    const queueOf = async () => (await (await h.api(`/api/v1/exporters/${BACKEND}/queue`)).json()).queue;
    await eventually(async () => (await queueOf()).deadLetters >= 2);
    const firstPage = await (await h.api(`/api/v1/exporters/${BACKEND}/dead-letters?limit=1`)).json();
    expect(firstPage.total).toBe(2);
    expect(firstPage.deadLetters).toHaveLength(1);
    expect(firstPage.deadLetters[0]).toMatchObject({ records: 1, preview: 'dead-1', reason: expect.stringContaining('400') });
    expect(Date.parse(firstPage.deadLetters[0].time)).not.toBeNaN();
    const secondPage = await (await h.api(`/api/v1/exporters/${BACKEND}/dead-letters?limit=1&cursor=${firstPage.nextCursor}`)).json();
    expect(secondPage.deadLetters.map((d: { preview: string }) => d.preview)).toEqual(['dead-2']);

    h.backend.failAlways(undefined);
    const before = h.backend.records().filter((r) => r.body?.stringValue === 'dead-1').length;
    const replay = await h.api(`/api/v1/exporters/${BACKEND}/dead-letters/replay`, json({ ids: [firstPage.deadLetters[0].id] }));
    expect(replay.status).toBe(200);
    expect(await replay.json()).toEqual({ exporter: 'otlphttp/backend', replayed: { requests: 1, records: 1 } });
    await eventually(async () => h.backend.records().filter((r) => r.body?.stringValue === 'dead-1').length > before);

    const bare = await h.api(`/api/v1/exporters/${BACKEND}/dead-letters`, { method: 'DELETE' });
    expect(bare.status).toBe(400);
    expect((await bare.json()).error.message).toMatch(/ids=1,2 or \?all=true/);
    expect((await queueOf()).deadLetters).toBe(1);
    const deleted = await h.api(`/api/v1/exporters/${BACKEND}/dead-letters?ids=${secondPage.deadLetters[0].id}`, { method: 'DELETE' });
    expect(await deleted.json()).toEqual({ exporter: 'otlphttp/backend', deleted: { requests: 1, records: 1 } });
    expect((await queueOf()).deadLetters).toBe(0);
  });

  it('refuses bad selections with 400 and exporters without a persistent queue with 409', async () => {
    for (const body of [{}, { ids: [] }, { all: false }, { ids: ['x'] }, { all: true, extra: 1 }]) {
      const res = await h.api(`/api/v1/exporters/${BACKEND}/dead-letters/replay`, json(body));
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect((await res.json()).error.code).toBe('bad_request');
    }
    const notJson = await h.api(`/api/v1/exporters/${BACKEND}/dead-letters/replay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{not json' });
    expect(notJson.status).toBe(400);
    for (const q of ['?ids=a,b', '?all=yes', '?ids=1&all=true']) expect((await h.api(`/api/v1/exporters/${BACKEND}/dead-letters${q}`, { method: 'DELETE' })).status, q).toBe(400);
    expect((await h.api(`/api/v1/exporters/${BACKEND}/dead-letters?limit=0`)).status).toBe(400);
    const mem = await h.api(`/api/v1/exporters/${MEMORY}/dead-letters`);
    expect(mem.status).toBe(409);
    expect((await mem.json()).error.code).toBe('conflict');
    expect((await h.api(`/api/v1/exporters/${MEMORY}/dead-letters/replay`, json({ all: true }))).status).toBe(409);
  });

  it('refuses a body over the limit with 413', async () => {
    const res = await h.api(`/api/v1/exporters/${BACKEND}/dead-letters/replay`, json({ ids: Array.from({ length: 200_000 }, (_, i) => i + 1) }));
    expect(res.status).toBe(413);
    expect((await res.json()).error.code).toBe('payload_too_large');
  });
});

describe('MCP over Streamable HTTP', () => {
  it('lists the export tools with a valid token', async () => {
    const client = new Client({ name: 'admin-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${h.base}/api/v1/mcp`), { requestInit: { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } } }));
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['export_logs_for_analysis', 'get_export_status', 'list_exports', 'cancel_export']));
    const call = await client.callTool({ name: 'list_exports', arguments: {} });
    expect(call.isError).toBe(true);
    await client.close();
  });

  it('is refused without a token', async () => {
    for (const path of ['/api/v1/mcp', '/mcp']) {
      const client = new Client({ name: 'admin-test', version: '1.0.0' });
      await expect(client.connect(new StreamableHTTPClientTransport(new URL(`${h.base}${path}`)))).rejects.toThrow(/401|nauthorized/);
    }
  });
});

describe('secrets', () => {
  it('never appear in any answer of this file', () => {
    expect(h.answers.length).toBeGreaterThan(30);
    for (const answer of h.answers) for (const secret of SECRETS) expect(answer).not.toContain(secret);
  });
});
