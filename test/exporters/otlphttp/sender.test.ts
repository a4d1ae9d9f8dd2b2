import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { otlphttpConfigSchema } from '../../../src/exporters/otlphttp/config.js';
import { OtlpHttpLogsSender } from '../../../src/exporters/otlphttp/sender.js';
import { decodeLogs, encodeLogs } from '../../../src/pdata/proto.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { OtlpHttpBackend } from '../../fakes/otlp-http-backend.js';
import { bodies, logsWith, neverAborts, queuedRequest } from '../otlp/test-kit.js';

let backend: OtlpHttpBackend;
let senders: OtlpHttpLogsSender[] = [];

beforeEach(async () => {
  backend = await OtlpHttpBackend.start({ requiredHeaders: { authorization: 'Bearer t0ken-abc' } });
});
afterEach(async () => {
  await Promise.all(senders.map((s) => s.shutdown()));
  senders = [];
  await backend.close();
});

function sender(overrides: Record<string, unknown> = {}): OtlpHttpLogsSender {
  const config = otlphttpConfigSchema.parse({ endpoint: backend.url, headers: { authorization: 'Bearer t0ken-abc' }, ...overrides });
  const s = new OtlpHttpLogsSender({ config, logger: silentLogger });
  senders.push(s);
  return s;
}

describe('otlphttp sender', () => {
  it('POSTs the queued protobuf bytes gzipped to /v1/logs with the configured headers, without decoding them', async () => {
    const request = queuedRequest(logsWith('a', 'b'));
    const result = await sender().send(request, neverAborts());
    expect(result).toEqual({ kind: 'success', rejected: undefined, message: undefined, rejectedLogs: undefined });
    expect(request.decodes).toBe(0);
    const [received] = backend.requests;
    expect(received.encoding).toBe('proto');
    expect(received.contentEncoding).toBe('gzip');
    expect(received.headers['content-type']).toBe('application/x-protobuf');
    expect(received.headers.authorization).toBe('Bearer t0ken-abc');
    expect(bodies(backend.records())).toEqual(['a', 'b']);
  });

  it('with compression zstd, sends Content-Encoding zstd that the backend decodes (any Node version)', async () => {
    const request = queuedRequest(logsWith('z1', 'z2', 'x'.repeat(20000)));
    const result = await sender({ compression: 'zstd' }).send(request, neverAborts());
    expect(result.kind).toBe('success');
    const [received] = backend.requests;
    expect(received.contentEncoding).toBe('zstd');
    expect(received.bodyBytes).toBeLessThan(request.bytes().length / 10);
    expect(bodies(backend.records())).toEqual(['z1', 'z2', 'x'.repeat(20000)]);
  });

  it('puts exactly the queued bytes on the wire (gzip of request.bytes())', async () => {
    let wire: Buffer | undefined;
    const server: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        wire = Buffer.concat(chunks);
        res.writeHead(200, { 'Content-Type': 'application/x-protobuf' }).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const request = queuedRequest(logsWith('x'));
      await sender({ endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }).send(request, neverAborts());
      expect(gunzipSync(wire!)).toEqual(Buffer.from(request.bytes()));
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('sends OTLP/JSON with Content-Type application/json when encoding is json', async () => {
    const result = await sender({ encoding: 'json', compression: 'none' }).send(queuedRequest(logsWith('j1', 'j2')), neverAborts());
    expect(result.kind).toBe('success');
    expect(backend.requests[0]).toMatchObject({ encoding: 'json', contentEncoding: 'identity' });
    expect(backend.requests[0].headers['content-type']).toBe('application/json');
    expect(backend.requests[0].logs).toEqual(logsWith('j1', 'j2'));
  });

  it('sends no Content-Encoding when compression is none', async () => {
    await sender({ compression: 'none' }).send(queuedRequest(logsWith('p')), neverAborts());
    expect(backend.requests[0].headers['content-encoding']).toBeUndefined();
  });

  it('sends a batch uncompressed as its queued parts, back to back, without joining them into one buffer', async () => {
    const parts = [encodeLogs(logsWith('p1', 'p2')), encodeLogs(logsWith('p3'))];
    const request = {
      records: 3,
      parts: () => parts,
      bytes: (): Uint8Array => {
        throw new Error('joined the parts');
      },
      logs: () => decodeLogs(Buffer.concat(parts)),
    };
    const result = await sender({ compression: 'none' }).send(request, neverAborts());
    expect(result.kind).toBe('success');
    expect(backend.requests[0].headers['content-length']).toBe(String(parts[0]!.length + parts[1]!.length));
    expect(bodies(backend.records())).toEqual(['p1', 'p2', 'p3']);
  });

  it('uses logs_endpoint as the full URL', async () => {
    const custom = await OtlpHttpBackend.start({ path: '/custom/ingest' });
    try {
      const result = await sender({ endpoint: undefined, logs_endpoint: `${custom.url}/custom/ingest` }).send(queuedRequest(logsWith('c')), neverAborts());
      expect(result.kind).toBe('success');
      expect(custom.recordCount()).toBe(1);
    } finally {
      await custom.close();
    }
  });

  it('reports partial_success as a success with the rejected count, in protobuf and JSON', async () => {
    backend.partialSuccess(1, 'record 2 too old');
    expect(await sender().send(queuedRequest(logsWith('a', 'b')), neverAborts())).toMatchObject({ kind: 'success', rejected: 1, message: 'record 2 too old' });
    expect(await sender({ encoding: 'json' }).send(queuedRequest(logsWith('a', 'b')), neverAborts())).toMatchObject({ kind: 'success', rejected: 1, message: 'record 2 too old' });
  });

  it.each([502, 503, 504])('retries HTTP %i without Retry-After with no imposed delay', async (status) => {
    backend.failNext(1, status);
    expect(await sender().send(queuedRequest(logsWith('a')), neverAborts())).toEqual({ kind: 'retryable', reason: `HTTP ${status}: scripted ${status}`, retryAfterMs: undefined });
  });

  it('gives up on 400 with the backend\'s Status message as the reason', async () => {
    backend.failNext(1, { status: 400, message: 'field timeUnixNano is bogus' });
    expect(await sender().send(queuedRequest(logsWith('a')), neverAborts())).toEqual({ kind: 'permanent', reason: 'HTTP 400: field timeUnixNano is bogus' });
  });

  it('gives up on 401 when the credentials are wrong', async () => {
    const result = await sender({ headers: { authorization: 'Bearer wrong-token' } }).send(queuedRequest(logsWith('a')), neverAborts());
    expect(result).toMatchObject({ kind: 'permanent', reason: expect.stringContaining('HTTP 401') });
    expect(backend.refusals).toEqual([{ status: 401, message: 'missing or wrong authorization header' }]);
  });

  it('never puts a header secret into a failure reason, even when the backend echoes it', async () => {
    backend.failNext(1, { status: 400, message: 'bad token Bearer t0ken-abc' });
    const result = await sender().send(queuedRequest(logsWith('a')), neverAborts());
    expect(result.kind).toBe('permanent');
    expect(JSON.stringify(result)).not.toContain('t0ken-abc');
  });

  it('retries when the backend refuses connections', async () => {
    await backend.goDown('refuse');
    expect(await sender().send(queuedRequest(logsWith('a')), neverAborts())).toMatchObject({ kind: 'retryable', reason: expect.stringMatching(/network error: .*ECONNREFUSED/) });
  });

  it('delivers again once a backend that was down comes back on the same port', async () => {
    const s = sender();
    await backend.goDown('refuse');
    expect((await s.send(queuedRequest(logsWith('a')), neverAborts())).kind).toBe('retryable');
    await backend.comeUp();
    expect((await s.send(queuedRequest(logsWith('a')), neverAborts())).kind).toBe('success');
    expect(backend.recordCount()).toBe(1);
  });

  it('retries when the send times out (aborted while the backend has not answered)', async () => {
    const controller = new AbortController();
    const hanging: Server = createServer(() => controller.abort(new DOMException('timed out', 'TimeoutError')));
    await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r));
    try {
      const result = await sender({ endpoint: `http://127.0.0.1:${(hanging.address() as AddressInfo).port}` }).send(queuedRequest(logsWith('a')), controller.signal);
      expect(result).toEqual({ kind: 'retryable', reason: 'request timed out', retryAfterMs: undefined });
    } finally {
      hanging.closeAllConnections();
      await new Promise((r) => hanging.close(r));
    }
  });

  it('sends nothing for an empty request', async () => {
    expect((await sender().send(queuedRequest({ resourceLogs: [] }), neverAborts())).kind).toBe('success');
    expect(backend.requests).toHaveLength(0);
  });
});
