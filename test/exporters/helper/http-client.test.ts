import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { GatewayError } from '../../../src/errors.js';
import { classifyNetworkError } from '../../../src/exporters/helper/classify.js';
import { HttpClient, httpClientShape } from '../../../src/exporters/helper/http-client.js';
import { redact } from '../../../src/telemetry/secrets.js';
import { startConnectProxy } from '../../fakes/connect-proxy.js';
import { testCa } from '../../helpers/test-ca.js';

/**
 * The one HTTP client (src/exporters/helper/http-client.ts) on its own: what each exporter gets
 * from it beyond the sender contract's cases (mutual TLS, skip-verify, proxy credentials,
 * keep-alive, bounded answers, multi-part bodies, unreadable files).
 */

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const schema = z.strictObject(httpClientShape());

interface Backend {
  url: string;
  bodies: Buffer[];
  connections: number;
  clientCerts: (string | undefined)[];
}

async function backend(opts: { tls?: { cert: Buffer; key: Buffer; ca?: Buffer; requestCert?: boolean; maxVersion?: 'TLSv1.2' }; answer?: (req: IncomingMessage, res: ServerResponse) => void } = {}): Promise<Backend> {
  const state: Backend = { url: '', bodies: [], connections: 0, clientCerts: [] };
  const listener: RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      state.bodies.push(Buffer.concat(chunks));
      const socket = req.socket as TLSSocket;
      const cn = typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate().subject?.CN : undefined;
      state.clientCerts.push(Array.isArray(cn) ? cn[0] : cn);
      if (opts.answer) return opts.answer(req, res);
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  };
  const server: Server = opts.tls
    ? createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key, ca: opts.tls.ca, maxVersion: opts.tls.maxVersion, requestCert: opts.tls.requestCert ?? false, rejectUnauthorized: opts.tls.requestCert ?? false }, listener)
    : createHttpServer(listener);
  const sockets = new Set<Socket>();
  server.on(opts.tls ? 'secureConnection' : 'connection', () => state.connections++);
  server.on('connection', (s: Socket) => (sockets.add(s), s.on('close', () => sockets.delete(s))));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `${opts.tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  cleanup.push(() => new Promise<void>((r) => (sockets.forEach((s) => s.destroy()), server.close(() => r()))));
  return state;
}

function client(config: Record<string, unknown>): HttpClient {
  const c = new HttpClient(schema.parse(config), 'exporters.test');
  cleanup.push(() => c.close());
  return c;
}

const post = (c: HttpClient, url: string, body: Uint8Array | Uint8Array[] = Buffer.from('hello'), signal = new AbortController().signal, maxResponseBytes = 1024) =>
  c.post(url, { headers: { 'content-type': 'text/plain' }, body, signal, maxResponseBytes });

describe('HttpClient', () => {
  it('presents tls.cert_file/key_file to a backend that requires a client certificate (mutual TLS)', async () => {
    const ca = await testCa();
    const b = await backend({ tls: { ...ca.server, ca: readFileSync(ca.caFile), requestCert: true } });
    const withCert = client({ tls: { ca_file: ca.caFile, cert_file: ca.client.certFile, key_file: ca.client.keyFile } });
    expect((await post(withCert, b.url)).status).toBe(200);
    expect(b.clientCerts).toEqual(['gateway']);

    const without = client({ tls: { ca_file: ca.caFile } });
    await expect(post(without, b.url)).rejects.toThrow();
    expect(b.bodies).toHaveLength(1);
  });

  it('accepts any certificate with tls.insecure_skip_verify, and none it cannot verify without it', async () => {
    const ca = await testCa();
    const b = await backend({ tls: ca.server });
    expect((await client({ tls: { insecure_skip_verify: true } }).fetch(b.url)).status).toBe(200);
    const refused = await client({}).fetch(b.url).catch((err: unknown) => err);
    expect(classifyNetworkError(refused)).toMatchObject({ kind: 'retryable', reason: expect.stringMatching(/CERT|certificate|SIGNATURE/i) });
  });

  it('verifies the certificate against tls.server_name_override instead of the endpoint host, direct and through a proxy', async () => {
    const ca = await testCa();
    const b = await backend({ tls: ca.server });
    // The test certificate names 127.0.0.1 and localhost, not other.example.
    expect((await post(client({ tls: { ca_file: ca.caFile, server_name_override: 'localhost' } }), b.url)).status).toBe(200);
    await expect(post(client({ tls: { ca_file: ca.caFile, server_name_override: 'other.example' } }), b.url)).rejects.toThrow();
    const egress = await startConnectProxy();
    cleanup.push(() => egress.close());
    await expect(post(client({ tls: { ca_file: ca.caFile, server_name_override: 'other.example' }, proxy_url: egress.url }), b.url)).rejects.toThrow();
    expect((await post(client({ tls: { ca_file: ca.caFile, server_name_override: 'localhost' }, proxy_url: egress.url }), b.url)).status).toBe(200);
    expect(b.bodies).toHaveLength(2);
  });

  it('holds to tls.min_version and max_version', async () => {
    const ca = await testCa();
    const b = await backend({ tls: ca.server });
    // The test backend speaks up to TLS 1.3 (Node's default).
    expect((await post(client({ tls: { ca_file: ca.caFile, min_version: '1.3' } }), b.url)).status).toBe(200);
    expect((await post(client({ tls: { ca_file: ca.caFile, max_version: 1.2 } }), b.url)).status).toBe(200);
    expect(b.connections).toBe(2);
    const tls12Only = await backend({ tls: { ...ca.server, maxVersion: 'TLSv1.2' } });
    await expect(post(client({ tls: { ca_file: ca.caFile, min_version: '1.3' } }), tls12Only.url)).rejects.toThrow();
    expect(tls12Only.bodies).toHaveLength(0);
  });

  it('trusts the system CAs besides tls.ca_file with include_system_ca_certs_pool', async () => {
    const ca = await testCa();
    const b = await backend({ tls: ca.server });
    expect((await post(client({ tls: { ca_file: ca.caFile, include_system_ca_certs_pool: true } }), b.url)).status).toBe(200);
  });

  it('sends the proxy_url credentials as Proxy-Authorization and keeps them out of errors', async () => {
    const egress = await startConnectProxy({ credentials: { user: 'gw', password: 'proxy-pa55word-xyz' } });
    cleanup.push(() => egress.close());
    const b = await backend();
    const port = new URL(egress.url).port;
    expect((await post(client({ proxy_url: `http://gw:proxy-pa55word-xyz@127.0.0.1:${port}` }), b.url)).status).toBe(200);
    expect(egress.tunnels).toEqual([new URL(b.url).host]);

    const wrong = await post(client({ proxy_url: `http://gw:wrong-pa55word-abc@127.0.0.1:${port}` }), b.url).catch((err: unknown) => err);
    expect(egress.refusals).toEqual([407]);
    const reason = classifyNetworkError(wrong);
    expect(reason.kind).toBe('retryable');
    expect(JSON.stringify(reason)).not.toContain('wrong-pa55word-abc');
    // Registered as secrets by the config, so a log line that quotes the URL is scrubbed too.
    expect(redact(`proxy http://gw:wrong-pa55word-abc@127.0.0.1:${port}`)).not.toContain('wrong-pa55word-abc');
    expect(redact(Buffer.from('gw:wrong-pa55word-abc').toString('base64'))).toBe('[REDACTED]');
  });

  it('keeps connections alive and reuses them between requests', async () => {
    const b = await backend();
    const c = client({});
    for (let i = 0; i < 10; i++) expect((await post(c, b.url)).status).toBe(200);
    for (let i = 0; i < 10; i++) expect((await c.fetch(b.url, { method: 'POST', body: 'x' })).status).toBe(200);
    // A request sent the instant the previous answer ended may find that connection not yet back
    // in the pool and open one more; never one per request.
    expect(b.connections).toBeLessThanOrEqual(2);
  });

  it('honours confighttp\'s disable_keep_alives (a connection per request) and max_conns_per_host (concurrent requests share the cap)', async () => {
    const b = await backend();
    const fresh = client({ disable_keep_alives: true });
    for (let i = 0; i < 5; i++) expect((await post(fresh, b.url)).status).toBe(200);
    expect(b.connections).toBe(5);

    let open = 0;
    let most = 0;
    const slow = await backend({
      answer: (_req, res) => {
        open++;
        most = Math.max(most, open);
        setTimeout(() => {
          open--;
          res.writeHead(200).end('ok');
        }, 30);
      },
    });
    const capped = client({ max_conns_per_host: 2, idle_conn_timeout: '5s', max_idle_conns: 100, http2_ping_timeout: '15s', cookies: { enabled: false } });
    const answers = await Promise.all(Array.from({ length: 8 }, () => post(capped, slow.url)));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(most).toBe(2);
    expect(slow.connections).toBe(2);
  });

  it('writes a body given as parts in order, with its total length', async () => {
    const b = await backend();
    const parts = [Buffer.from('one,'), Buffer.from('two,'), Buffer.from('three')];
    expect((await post(client({}), b.url, parts)).status).toBe(200);
    expect(b.bodies[0]!.toString()).toBe('one,two,three');
  });

  it('drops connection headers a user configured instead of failing every request', async () => {
    const b = await backend({ answer: (req, res) => res.writeHead(200).end(String(req.headers['x-tenant'])) });
    const res = await client({}).post(b.url, { headers: { Connection: 'close', 'Transfer-Encoding': 'chunked', 'X-Tenant': 'make' }, body: Buffer.from('x'), signal: new AbortController().signal, maxResponseBytes: 100 });
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('make');
  });

  it('keeps at most maxResponseBytes of an answer and can still reuse the connection', async () => {
    const b = await backend({ answer: (_req, res) => res.writeHead(500).end('e'.repeat(100_000)) });
    const c = client({});
    const first = await post(c, b.url, undefined, undefined, 100);
    expect(first.status).toBe(500);
    expect(first.body.length).toBe(100);
    for (let i = 0; i < 5; i++) expect((await post(c, b.url)).status).toBe(500);
    expect(b.connections).toBeLessThanOrEqual(2);
  });

  it('gives up on a backend that never answers when the signal aborts', async () => {
    const b = await backend({ answer: () => undefined });
    const started = Date.now();
    const err = await post(client({}), b.url, undefined, AbortSignal.timeout(300)).catch((e: unknown) => e);
    expect(classifyNetworkError(err)).toMatchObject({ kind: 'retryable', reason: 'request timed out' });
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('fails the start, naming the key, when a tls file cannot be read; a later start reads it again', async () => {
    const c = client({ tls: { ca_file: '/nonexistent/ca.pem' } });
    const err = await c.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe('COMPONENT_START_FAILED');
    expect((err as Error).message).toMatch(/exporters\.test\.tls\.ca_file: cannot read "\/nonexistent\/ca\.pem": ENOENT/);
    await expect(c.start()).rejects.toThrow(/ENOENT/);
  });

  it('accepts only an http(s) proxy_url', () => {
    expect(() => schema.parse({ proxy_url: 'socks5://127.0.0.1:1080' })).toThrow(/http/);
    expect(() => schema.parse({ tls: { ca: 'x' } })).toThrow();
  });
});
