import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeLogs } from '../../../src/pdata/proto.js';
import { decodeStatus } from '../../../src/transport/rpc-status.js';
import { OtlpHttpBackend } from '../../fakes/otlp-http-backend.js';
import { logsWith } from '../otlp/test-kit.js';

/** The strict fake others build end-to-end tests on refuses what a Collector's receiver refuses. */

let backend: OtlpHttpBackend;
beforeEach(async () => {
  backend = await OtlpHttpBackend.start({ requiredHeaders: { 'x-api-key': 'k3y-value' }, maxBodyBytes: 10_000 });
});
afterEach(async () => {
  await backend.close();
});

const proto = () => Buffer.from(encodeLogs(logsWith('a')));
const post = (body: Uint8Array | string, headers: Record<string, string>, path = '/v1/logs', method = 'POST') =>
  fetch(backend.url + path, { method, body: method === 'POST' ? body : undefined, headers: { 'x-api-key': 'k3y-value', ...headers } });

describe('OtlpHttpBackend (test fake)', () => {
  it('accepts protobuf, gzip and JSON requests and keeps their records', async () => {
    expect((await post(proto(), { 'content-type': 'application/x-protobuf' })).status).toBe(200);
    expect((await post(gzipSync(proto()), { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' })).status).toBe(200);
    const json = JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'j' } }] }] }] });
    expect((await post(json, { 'content-type': 'application/json' })).status).toBe(200);
    expect(backend.records().map((r) => r.body?.stringValue)).toEqual(['a', 'a', 'j']);
  });

  it('refuses a wrong path, method, media type, encoding, key, size or body with the Collector\'s statuses', async () => {
    expect((await post(proto(), { 'content-type': 'application/x-protobuf' }, '/v1/traces')).status).toBe(404);
    expect((await post(proto(), {}, '/v1/logs', 'GET')).status).toBe(405);
    expect((await post(proto(), { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await post(proto(), { 'content-type': 'application/x-protobuf', 'content-encoding': 'br' })).status).toBe(400);
    expect((await post(proto(), { 'content-type': 'application/x-protobuf', 'x-api-key': 'wrong' })).status).toBe(401);
    expect((await post(Buffer.alloc(20_000), { 'content-type': 'application/x-protobuf' })).status).toBe(413);
    const garbage = await post(Buffer.from('0aff', 'hex'), { 'content-type': 'application/x-protobuf' });
    expect(garbage.status).toBe(400);
    expect(decodeStatus(new Uint8Array(await garbage.arrayBuffer()))).toMatchObject({ code: 3, message: expect.stringContaining('invalid protobuf') });
    expect(backend.recordCount()).toBe(0);
    expect(backend.refusals.map((r) => r.status)).toEqual([404, 405, 415, 400, 401, 413, 400]);
  });

  it('answers 503 while down in "unavailable" mode and accepts again once up', async () => {
    await backend.goDown('unavailable');
    expect((await post(proto(), { 'content-type': 'application/x-protobuf' })).status).toBe(503);
    await backend.comeUp();
    expect((await post(proto(), { 'content-type': 'application/x-protobuf' })).status).toBe(200);
  });
});
