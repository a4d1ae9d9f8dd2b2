import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { connect, createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.js';
import { HttpError } from '../../src/net/http-error.js';
import { startHttpServer, type Handler, type KitServer } from '../../src/net/http-server.js';
import { readTextBody } from '../../src/net/request-body.js';
import { defaultMaxConnections, fdSoftLimit } from '../../src/net/connection-limit.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { captureLogger, linesText } from '../receivers/make/helpers.js';

const fixture = (name: string) => fileURLToPath(new URL(`../receivers/otlp/fixtures/${name}`, import.meta.url));
const tls = { cert_file: fixture('server.pem'), key_file: fixture('server.key') };
const ca = readFileSync(fixture('ca.pem'));

let server: KitServer | undefined;
let telemetry: Telemetry;
let logger: ReturnType<typeof captureLogger>;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await server?.shutdown();
  server = undefined;
});

async function start(handler: Handler, extra: Partial<Parameters<typeof startHttpServer>[0]> = {}): Promise<string> {
  telemetry = new Telemetry({ processMetrics: false });
  logger = captureLogger();
  server = await startHttpServer({ name: 'test', keyPath: 'extensions.test', endpoint: { host: '127.0.0.1', port: 0 }, telemetry, logger, handler, ...extra });
  return `http://127.0.0.1:${server.port}`;
}

describe('server kit: listening', () => {
  it('fails to start with COMPONENT_START_FAILED naming the key and the address when the port is taken', async () => {
    const blocker: NetServer = createNetServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const attempt = startHttpServer({ name: 'x', keyPath: 'extensions.health_check', endpoint: { host: '127.0.0.1', port }, telemetry: new Telemetry({ processMetrics: false }), logger: captureLogger(), handler: () => undefined });
      await expect(attempt).rejects.toBeInstanceOf(GatewayError);
      await expect(attempt).rejects.toMatchObject({ code: 'COMPONENT_START_FAILED', message: expect.stringMatching(new RegExp(`^extensions\\.health_check: cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`)) });
    } finally {
      blocker.close();
    }
  });

  it('fails to start with COMPONENT_START_FAILED naming tls.cert_file when the certificate cannot be read', async () => {
    const attempt = start(() => undefined, { tls: { cert_file: '/nonexistent/cert.pem', key_file: tls.key_file } });
    await expect(attempt).rejects.toMatchObject({ code: 'COMPONENT_START_FAILED', message: expect.stringContaining('extensions.test.tls.cert_file') });
  });
});

describe('server kit: error answers', () => {
  it('answers a thrown HttpError with its status and text', async () => {
    const url = await start(() => {
      throw new HttpError(415, 'send application/json');
    });
    const res = await fetch(url, { method: 'POST', body: '{}' });
    expect(res.status).toBe(415);
    expect(await res.json()).toEqual({ error: 'send application/json' });
  });

  it('never answers 500 and never shows an internal message: an unexpected failure is a 503 with Retry-After, logged', async () => {
    const url = await start(async () => {
      throw new Error('ECONNREFUSED /var/lib/secret-internal-path');
    });
    const res = await fetch(url);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    const text = await res.text();
    expect(text).not.toContain('secret-internal-path');
    expect(linesText(logger.lines)).toContain('secret-internal-path');
  });

  it('maps a 500 a handler throws to 503', async () => {
    const url = await start(() => {
      throw new HttpError(500, 'broken');
    });
    expect((await fetch(url)).status).toBe(503);
  });

  it('refuses a body over the limit with 413 before reading it (Content-Length), and after reading past it (chunked)', async () => {
    let read = 0;
    const url = await start(async (req, res) => {
      const text = await readTextBody(req, 1024);
      read++;
      res.end(text);
    });
    expect((await fetch(url, { method: 'POST', body: 'x'.repeat(2048) })).status).toBe(413);
    const chunked = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode('y'.repeat(4096)));
        c.close();
      },
    });
    expect((await fetch(url, { method: 'POST', body: chunked, duplex: 'half' } as RequestInit)).status).toBe(413);
    expect(read).toBe(0);
    expect(await (await fetch(url, { method: 'POST', body: 'small' })).text()).toBe('small');
  });
});

describe('server kit: tls', () => {
  function httpsGet(port: number, extra: { cert?: Buffer; key?: Buffer; maxVersion?: 'TLSv1.2' | 'TLSv1.3' } = {}): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port, path: '/', ca, ...extra }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      });
      req.on('error', reject);
      req.end();
    });
  }
  const ok: Handler = (_req, res) => void res.writeHead(204).end();

  it('serves over TLS with cert_file and key_file', async () => {
    await start(ok, { tls });
    expect(server!.tls).toBe(true);
    expect(await httpsGet(server!.port)).toBe(204);
  });

  it('requires a client certificate signed by client_ca_file', async () => {
    await start(ok, { tls: { ...tls, client_ca_file: fixture('ca.pem') } });
    await expect(httpsGet(server!.port)).rejects.toThrow();
    expect(await httpsGet(server!.port, { cert: readFileSync(fixture('client.pem')), key: readFileSync(fixture('client.key')) })).toBe(204);
  });

  it('refuses clients below min_version', async () => {
    await start(ok, { tls: { ...tls, min_version: '1.3' } });
    await expect(httpsGet(server!.port, { maxVersion: 'TLSv1.2' })).rejects.toThrow();
    expect(await httpsGet(server!.port, { maxVersion: 'TLSv1.3' })).toBe(204);
  });
});

/** Opens a TCP connection and resolves once it is connected. */
function openConnection(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
    sockets.push(s);
  });
}

/** Resolves with 'closed' when the server closes the connection, or 'open' after `ms`. */
function closedWithin(s: Socket, ms: number): Promise<'closed' | 'open'> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve('open'), ms);
    const done = () => {
      clearTimeout(t);
      resolve('closed');
    };
    s.once('close', done);
    s.once('end', done);
    s.on('error', () => undefined);
  });
}

describe('server kit: max_connections', () => {
  it('closes connections over max_connections at once, counts them, warns, and serves again once one is free', async () => {
    const url = await start((_req, res) => void res.writeHead(204).end(), { maxConnections: 3 });
    const held = await Promise.all([1, 2, 3].map(() => openConnection(server!.port)));
    // Half-sent requests, as a slowloris client leaves them.
    for (const s of held) s.write('POST / HTTP/1.1\r\nhost: x\r\n');
    const extra = await openConnection(server!.port);
    expect(await closedWithin(extra, 5_000)).toBe('closed');
    const text = await telemetry.metrics();
    expect(text).toMatch(/gateway_server_refused_connections_total\{server="test"\} 1/);
    expect(linesText(logger.lines)).toMatch(/max_connections/);
    held[0].destroy();
    // The server notices the freed slot asynchronously: retry until it does.
    let status = 0;
    for (let i = 0; i < 50 && status !== 204; i++) {
      status = await fetch(url, { headers: { connection: 'close' } }).then((r) => r.status, () => 0);
      if (status !== 204) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(204);
  });

  it('defaults below the fd limit: half of it, at most 4096', () => {
    expect(defaultMaxConnections(1024)).toBe(512);
    expect(defaultMaxConnections(1_048_576)).toBe(4096);
    expect(defaultMaxConnections(undefined)).toBe(4096);
    const limit = fdSoftLimit();
    if (limit !== undefined) expect(defaultMaxConnections()).toBeLessThan(limit);
  });
});

describe('server kit: shutdown', () => {
  it('lets an in-flight request finish within the grace period, then refuses new connections; idempotent', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const url = await start(async (_req, res) => {
      await gate;
      res.writeHead(200).end('done');
    }, { shutdownGraceMs: 10_000 });
    const inFlight = fetch(url).then((r) => r.text());
    await new Promise((r) => setTimeout(r, 100));
    const stopped = server!.shutdown();
    expect(server!.shutdown()).toBe(stopped);
    release();
    expect(await inFlight).toBe('done');
    await stopped;
    await expect(fetch(url)).rejects.toThrow();
    server = undefined;
  });

  it('cuts connections still busy after the grace period', async () => {
    const url = await start(() => new Promise<void>(() => undefined), { shutdownGraceMs: 200 });
    const hanging = fetch(url).then(() => 'answered', () => 'cut');
    await new Promise((r) => setTimeout(r, 100));
    await server!.shutdown();
    expect(await hanging).toBe('cut');
    server = undefined;
  });
});

describe('max_connections on the OTLP/HTTP receiver', () => {
  it('closes connections over protocols.http.max_connections at once and counts them', async () => {
    const { startReceiver } = await import('../receivers/otlp/harness.js');
    const run = await startReceiver({ http: { endpoint: '127.0.0.1:0', max_connections: 2 } });
    try {
      for (let i = 0; i < 2; i++) (await openConnection(run.receiver.httpPort!)).write('POST /v1/logs HTTP/1.1\r\nhost: x\r\n');
      const extra = await openConnection(run.receiver.httpPort!);
      expect(await closedWithin(extra, 5_000)).toBe('closed');
      expect(await run.telemetry.metrics()).toMatch(/gateway_server_refused_connections_total\{server="otlp\/http"\} 1/);
    } finally {
      for (const s of sockets.splice(0)) s.destroy();
      await run.receiver.shutdown();
    }
  });
});
