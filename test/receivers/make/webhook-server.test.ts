import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { RetryableError } from '../../../src/errors.js';
import { Sink, startReceiver, storageHost, type Harness } from './helpers.js';

/** The webhook on the server kit: TLS, no 500 ever, max_connections, obsreport accounting. */

const API_KEY = 'whk-server-kit-test-key';
const fixture = (name: string) => fileURLToPath(new URL(`../otlp/fixtures/${name}`, import.meta.url));
const tls = { cert_file: fixture('server.pem'), key_file: fixture('server.key') };
const ca = readFileSync(fixture('ca.pem'));

let h: Harness | undefined;
let sink: Sink;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await h?.receiver.shutdown();
  h = undefined;
});

async function start(webhook: Record<string, unknown> = {}): Promise<number> {
  sink = new Sink();
  h = await startReceiver({ webhook: { endpoint: '127.0.0.1:0', api_key: API_KEY, ...webhook } }, sink, storageHost());
  return h.receiver.webhookAddress()!.port;
}

function httpsPost(port: number, body: string, extra: { cert?: Buffer; key?: Buffer; maxVersion?: 'TLSv1.2' | 'TLSv1.3' } = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path: '/', method: 'POST', ca, ...extra, headers: { 'content-type': 'application/json', 'x-make-apikey': API_KEY } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const post = (port: number, body: string) => fetch(`http://127.0.0.1:${port}/`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-make-apikey': API_KEY }, body });

describe('make webhook on the server kit', () => {
  it('serves over TLS (webhook.tls cert_file/key_file) and accepts the records', async () => {
    const port = await start({ tls });
    expect(await httpsPost(port, JSON.stringify({ message: 'over tls' }))).toBe(200);
    expect(sink.accepted).toHaveLength(1);
  });

  it('requires a client certificate signed by webhook.tls.client_ca_file, and holds min_version', async () => {
    const port = await start({ tls: { ...tls, client_ca_file: fixture('ca.pem'), min_version: '1.3' } });
    const client = { cert: readFileSync(fixture('client.pem')), key: readFileSync(fixture('client.key')) };
    await expect(httpsPost(port, '{"message":"x"}')).rejects.toThrow();
    await expect(httpsPost(port, '{"message":"x"}', { ...client, maxVersion: 'TLSv1.2' })).rejects.toThrow();
    expect(await httpsPost(port, '{"message":"x"}', client)).toBe(200);
  });

  it('never answers 500: an unexpected downstream failure is a 503 with Retry-After and no internals, counted', async () => {
    const port = await start();
    sink.refuseNext(new Error('SQLITE_IOERR at /var/lib/gateway/queue.db'));
    const res = await post(port, '{"message":"x"}');
    expect(res.status).toBe(503);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await res.text()).not.toContain('queue.db');
    const metrics = await h!.telemetry.metrics();
    expect(metrics).toMatch(/otelcol_receiver_refused_log_records_total\{receiver="make",transport="http"\} 1/);
    expect(metrics).toMatch(/gateway_receiver_refused_requests_total\{receiver="make",transport="http",status="503"\} 1/);
  });

  it('answers 429 with Retry-After when downstream throttles (memory limit, full queue)', async () => {
    const port = await start();
    sink.refuseNext(new RetryableError('queue is full', 3_000, 'QUEUE_FULL'));
    const res = await post(port, '{"message":"x"}');
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('3');
  });

  it('closes connections over webhook.max_connections at once and counts them', async () => {
    const port = await start({ max_connections: 2 });
    for (let i = 0; i < 2; i++) {
      const s = connect(port, '127.0.0.1');
      sockets.push(s);
      await new Promise((r) => s.once('connect', r));
      s.write('POST / HTTP/1.1\r\nhost: x\r\n');
    }
    const extra = connect(port, '127.0.0.1');
    sockets.push(extra);
    extra.on('error', () => undefined);
    await new Promise((r) => extra.once('close', r));
    expect(await h!.telemetry.metrics()).toMatch(/gateway_server_refused_connections_total\{server="make\/webhook"\} 1/);
  });
});
