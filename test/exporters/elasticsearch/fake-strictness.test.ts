import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startElasticsearchBulk, type ElasticsearchBulkFake } from '../../fakes/elasticsearch-bulk.js';

/** The Elasticsearch `_bulk` fake refuses what Elasticsearch refuses, so passing it means something. */

const USER = 'elastic';
const PASSWORD = 'es-fake-password-7788';
const API_KEY = 'VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==';
const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

let es: ElasticsearchBulkFake;
beforeEach(async () => {
  es = await startElasticsearchBulk({ auth: { user: USER, password: PASSWORD, apiKey: API_KEY }, maxContentLength: 10_000 });
});
afterEach(() => es.close());

const ndjson = (...lines: unknown[]) => lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
async function bulk(body: string | Buffer, headers: Record<string, string> = {}) {
  const res = await fetch(`${es.url}/_bulk`, { method: 'POST', headers: { Authorization: basic(USER, PASSWORD), 'Content-Type': 'application/x-ndjson', ...headers }, body });
  return { status: res.status, body: (await res.json()) as { errors?: boolean; items?: Record<string, { status: number; error?: { type: string } }>[]; error?: { type: string } } };
}
const ts = '2026-01-01T00:00:00.000000000Z';

describe('Elasticsearch _bulk fake: strictness', () => {
  it('refuses wrong or missing credentials with 401 security_exception and accepts Basic and ApiKey', async () => {
    expect((await bulk(ndjson({ index: { _index: 'a' } }, { x: 1 }), { Authorization: basic(USER, 'wrong') })).status).toBe(401);
    expect((await bulk(ndjson({ index: { _index: 'a' } }, { x: 1 }), { Authorization: '' })).body.error?.type).toBe('security_exception');
    expect((await bulk(ndjson({ index: { _index: 'a' } }, { x: 1 }), { Authorization: `ApiKey ${API_KEY}` })).status).toBe(200);
    expect((await bulk(ndjson({ index: { _index: 'a' } }, { x: 2 }))).status).toBe(200);
    expect(es.count()).toBe(2);
  });

  it('refuses a body without the final newline, a bad content type, bad gzip and unknown actions', async () => {
    expect((await bulk(ndjson({ index: { _index: 'a' } }, { x: 1 }).trimEnd())).status).toBe(400);
    expect((await bulk(ndjson({ index: { _index: 'a' } }, { x: 1 }), { 'Content-Type': 'text/plain' })).status).toBe(406);
    expect((await bulk(Buffer.from('not gzip'), { 'Content-Encoding': 'gzip' })).status).toBe(400);
    expect((await bulk(ndjson({ delete: { _index: 'a', _id: '1' } }, { x: 1 }))).status).toBe(400);
    expect((await bulk('{"index":{"_index":"a"}}\n{broken\n')).status).toBe(400);
    expect(es.count()).toBe(0);
  });

  it('reads gzip bodies and refuses bodies above http.max_content_length with 413', async () => {
    expect((await bulk(gzipSync(ndjson({ index: { _index: 'a' } }, { x: 1 })), { 'Content-Encoding': 'gzip' })).status).toBe(200);
    expect((await bulk(ndjson({ index: { _index: 'a' } }, { x: 'y'.repeat(20_000) }))).status).toBe(413);
    expect(es.count()).toBe(1);
  });

  it('allows only create with @timestamp into data streams', async () => {
    const { body } = await bulk(ndjson({ index: { _index: 'logs-app-default' } }, { '@timestamp': ts }, { create: { _index: 'logs-app-default' } }, { x: 1 }, { create: { _index: 'logs-app-default' } }, { '@timestamp': ts }));
    expect(body.errors).toBe(true);
    expect(body.items!.map((i) => Object.values(i)[0]!.status)).toEqual([400, 400, 201]);
    expect(es.documents('logs-app-default')).toHaveLength(1);
  });

  it('answers 409 for a create with an existing _id and overwrites on index with the same _id', async () => {
    const first = await bulk(ndjson({ create: { _index: 'logs-a-b', _id: 'e1' } }, { '@timestamp': ts, n: 1 }, { create: { _index: 'logs-a-b', _id: 'e1' } }, { '@timestamp': ts, n: 2 }));
    expect(first.body.items!.map((i) => i.create!.status)).toEqual([201, 409]);
    expect(first.body.items![1]!.create!.error!.type).toBe('version_conflict_engine_exception');
    await bulk(ndjson({ index: { _index: 'plain', _id: 'k' } }, { n: 1 }, { index: { _index: 'plain', _id: 'k' } }, { n: 2 }));
    expect(es.documents('plain')).toEqual([{ n: 2 }]);
    expect(es.documents('logs-a-b')).toEqual([{ '@timestamp': ts, n: 1 }]);
  });

  it('refuses a document whose field contradicts the dynamic mapping, alone', async () => {
    const { body } = await bulk(ndjson({ index: { _index: 'm' } }, { code: 1 }, { index: { _index: 'm' } }, { code: 'not a number' }, { index: { _index: 'm' } }, { code: '42' }));
    expect(body.items!.map((i) => i.index!.status)).toEqual([201, 400, 201]);
    expect(body.items![1]!.index!.error!.type).toBe('document_parsing_exception');
  });

  it('answers scripted item rejections with 429 per item and scripted request failures as a whole', async () => {
    es.rejectItems(1);
    const { body } = await bulk(ndjson({ index: { _index: 'a' } }, { x: 1 }, { index: { _index: 'a' } }, { x: 2 }));
    expect(body.items!.map((i) => i.index!.status)).toEqual([429, 201]);
    es.failNext(1, 503);
    expect((await bulk(ndjson({ index: { _index: 'a' } }, { x: 3 }))).status).toBe(503);
    expect(es.count()).toBe(1);
  });

  it('answers 404 for other paths', async () => {
    const res = await fetch(`${es.url}/_doc`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(404);
  });
});
