import { afterEach, describe, expect, it } from 'vitest';
import { newLogRecord, type Logs } from '../../../src/pdata/model.js';
import { logsToJson } from '../../../src/pdata/json.js';
import { otlpReceiverSchema } from '../../../src/receivers/otlp/config.js';
import { serverTimeouts } from '../../../src/receivers/otlp/http-server.js';
import { startReceiver, type Running } from './harness.js';

/** Keys real Collector configs set on the otlp receiver's http block: accepted, honoured where Node can. */

const logs: Logs = { resourceLogs: [{ schemaUrl: '', scopeLogs: [{ schemaUrl: '', logRecords: [newLogRecord({ body: { stringValue: 'x' } })] }] }] };

let run: Running | undefined;
afterEach(async () => {
  await run?.receiver.shutdown();
  run = undefined;
});

describe('otlp receiver with Collector http and tls keys', () => {
  it('answers CORS preflights for allowed origins (exact, * inside, any), methods and headers only, and lets allowed pages read answers', async () => {
    run = await startReceiver({ http: { endpoint: '127.0.0.1:0', cors: { allowed_origins: ['https://*.example.com', 'http://localhost:3000'], allowed_headers: ['X-Tenant'], max_age: 600 } } });
    const preflight = (origin: string, method = 'POST', headers = 'content-type') =>
      fetch(`${run!.httpUrl}/v1/logs`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': headers } });
    const ok = await preflight('https://app.example.com', 'POST', 'content-type, x-tenant');
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(ok.headers.get('access-control-allow-methods')).toBe('POST');
    expect(ok.headers.get('access-control-allow-headers')).toBe('content-type, x-tenant');
    expect(ok.headers.get('access-control-max-age')).toBe('600');
    for (const refused of [await preflight('https://example.com.evil.net'), await preflight('http://localhost:3000', 'PUT'), await preflight('http://localhost:3000', 'POST', 'x-other')]) {
      expect(refused.status).toBe(204);
      expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    }
    const post = await fetch(`${run.httpUrl}/v1/logs`, { method: 'POST', headers: { origin: 'http://localhost:3000', 'content-type': 'application/json' }, body: 'not json' });
    expect(post.status).toBe(400);
    expect(post.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    expect(post.headers.get('vary')).toContain('Origin');

    await run.receiver.shutdown();
    run = await startReceiver({ http: { endpoint: '127.0.0.1:0', cors: { allowed_origins: ['*'] } } });
    expect((await preflight('https://anyone.test')).headers.get('access-control-allow-origin')).toBe('*');
    // No cors block: OPTIONS is just a method the OTLP path does not take.
    await run.receiver.shutdown();
    run = await startReceiver({ http: { endpoint: '127.0.0.1:0' } });
    expect((await preflight('https://anyone.test')).status).toBe(405);
  });

  it('loads a Collector http block with timeouts, compression_algorithms, response_headers and tls versions', () => {
    const r = otlpReceiverSchema.safeParse({
      protocols: {
        http: {
          endpoint: '127.0.0.1:4318',
          read_timeout: '30s',
          write_timeout: '30s',
          idle_timeout: '1m',
          read_header_timeout: '10s',
          compression_algorithms: ['gzip', 'zstd'],
          response_headers: { 'X-Served-By': 'gateway' },
          tls: { cert_file: 'c.pem', key_file: 'k.pem', ca_file: 'ca.pem', min_version: 1.2, max_version: '1.3', reload_interval: '1h' },
        },
      },
    });
    expect(r.success).toBe(true);
    expect(r.data!.protocols.http).toMatchObject({
      read_timeout: 30_000,
      idle_timeout: 60_000,
      read_header_timeout: 10_000,
      response_headers: { 'X-Served-By': 'gateway' },
      tls: { min_version: '1.2', max_version: '1.3', reload_interval: 3_600_000 },
    });
  });

  it('refuses a tls version that does not exist and a response header name node cannot send', () => {
    expect(otlpReceiverSchema.safeParse({ protocols: { http: { tls: { cert_file: 'c', key_file: 'k', min_version: '1.4' } } } }).success).toBe(false);
    expect(otlpReceiverSchema.safeParse({ protocols: { http: { response_headers: { 'bad header': 'x' } } } }).success).toBe(false);
  });

  it('sends response_headers on every answer, refusals included', async () => {
    run = await startReceiver({ http: { endpoint: '127.0.0.1:0', response_headers: { 'X-Served-By': 'gateway' } } });
    const ok = await fetch(`${run.httpUrl}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: logsToJson(logs) });
    const notFound = await fetch(`${run.httpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect([ok.status, notFound.status]).toEqual([200, 404]);
    expect(ok.headers.get('x-served-by')).toBe('gateway');
    expect(notFound.headers.get('x-served-by')).toBe('gateway');
  });

  it('maps read_timeout and read_header_timeout onto node:http, keeping headers within the whole read', () => {
    expect(serverTimeouts({ read_timeout: 30_000, read_header_timeout: 10_000 })).toEqual({ requestTimeout: 30_000, headersTimeout: 10_000 });
    expect(serverTimeouts({ read_timeout: 5_000 })).toEqual({ requestTimeout: 5_000, headersTimeout: 5_000 });
    expect(serverTimeouts({ read_timeout: 0, read_header_timeout: 10_000 })).toEqual({ requestTimeout: 0, headersTimeout: 10_000 });
  });

  it('starts with idle and read timeouts set and serves as usual', async () => {
    run = await startReceiver({ http: { endpoint: '127.0.0.1:0', read_timeout: '5s', idle_timeout: '2s', read_header_timeout: '1s' } });
    const res = await fetch(`${run.httpUrl}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: logsToJson(logs) });
    expect(res.status).toBe(200);
    expect(res.headers.get('keep-alive')).toBe('timeout=2');
  });
});
