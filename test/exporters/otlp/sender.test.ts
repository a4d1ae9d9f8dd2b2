import * as grpc from '@grpc/grpc-js';
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { otlpConfigSchema } from '../../../src/exporters/otlp/config.js';
import { OtlpGrpcLogsSender } from '../../../src/exporters/otlp/sender.js';
import { rawLogsServiceDefinition } from '../../../src/transport/grpc/logs-service.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { OtlpGrpcBackend } from '../../fakes/otlp-grpc-backend.js';
import { bodies, logsWith, neverAborts, queuedRequest } from './test-kit.js';

let backend: OtlpGrpcBackend;
let senders: OtlpGrpcLogsSender[] = [];

beforeEach(async () => {
  backend = await OtlpGrpcBackend.start({ requiredMetadata: { authorization: 'Bearer grpc-t0ken' } });
});
afterEach(async () => {
  await Promise.all(senders.map((s) => s.shutdown()));
  senders = [];
  await backend.close();
});

function sender(overrides: Record<string, unknown> = {}): OtlpGrpcLogsSender {
  const config = otlpConfigSchema.parse({ endpoint: backend.endpoint, tls: { insecure: true }, headers: { Authorization: 'Bearer grpc-t0ken' }, ...overrides });
  const s = new OtlpGrpcLogsSender({ config, logger: silentLogger });
  senders.push(s);
  return s;
}

const send = (s: OtlpGrpcLogsSender, ...b: string[]) => s.send(queuedRequest(logsWith(...(b.length ? b : ['x']))), neverAborts());

/** A bare HTTP/2 server that records each gRPC request frame as sent and answers OK with an empty response. */
async function startWireTap() {
  const frames: { path: string; authority?: string; encoding?: string; compressedFlag: number; message: Buffer }[] = [];
  const server = http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => sessions.add(session));
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      const body = Buffer.concat(chunks);
      frames.push({ path: String(headers[':path']), authority: headers[':authority'], encoding: headers['grpc-encoding'] as string | undefined, compressedFlag: body[0], message: body.subarray(5) });
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(Buffer.alloc(5)); // one empty, uncompressed response message
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    frames,
    endpoint: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        for (const session of sessions) session.destroy();
      }),
  };
}

describe('otlp (gRPC) sender', () => {
  it('exports the queued bytes without decoding them, with headers as metadata', async () => {
    const request = queuedRequest(logsWith('a', 'b'));
    expect(await sender().send(request, neverAborts())).toMatchObject({ kind: 'success' });
    expect(request.decodes).toBe(0);
    expect(bodies(backend.records())).toEqual(['a', 'b']);
    expect(backend.requests[0].metadata.authorization).toBe('Bearer grpc-t0ken');
  });

  it('puts the gzipped request bytes on the wire by default, and plain ones with compression none', async () => {
    const wire = await startWireTap();
    try {
      const request = queuedRequest(logsWith('on-the-wire'));
      expect((await sender({ endpoint: wire.endpoint }).send(request, neverAborts())).kind).toBe('success');
      expect(wire.frames[0]).toMatchObject({ path: '/opentelemetry.proto.collector.logs.v1.LogsService/Export', encoding: 'gzip', compressedFlag: 1 });
      expect(gunzipSync(wire.frames[0].message)).toEqual(Buffer.from(request.bytes()));
      await sender({ endpoint: wire.endpoint, compression: 'none' }).send(request, neverAborts());
      expect(wire.frames[1]).toMatchObject({ compressedFlag: 0 });
      expect(wire.frames[1].message).toEqual(Buffer.from(request.bytes()));
    } finally {
      await wire.close();
    }
  });

  it('reports partial_success as a success with the rejected count', async () => {
    backend.partialSuccess(3, 'three dropped');
    expect(await send(sender(), 'a', 'b', 'c', 'd')).toMatchObject({ kind: 'success', rejected: 3, message: 'three dropped' });
  });

  it('retries UNAVAILABLE, honouring RetryInfo when present', async () => {
    backend.failNext(1, grpc.status.UNAVAILABLE);
    backend.failNext(1, { code: grpc.status.UNAVAILABLE, retryAfterMs: 1_500 });
    const s = sender();
    expect(await send(s)).toMatchObject({ kind: 'retryable', retryAfterMs: undefined, reason: expect.stringContaining('gRPC status 14') });
    expect(await send(s)).toMatchObject({ kind: 'retryable', retryAfterMs: 1_500 });
  });

  it('retries RESOURCE_EXHAUSTED only when the server sent RetryInfo', async () => {
    backend.failNext(1, { code: grpc.status.RESOURCE_EXHAUSTED, retryAfterMs: 4_000 });
    backend.failNext(1, grpc.status.RESOURCE_EXHAUSTED);
    const s = sender();
    expect(await send(s)).toMatchObject({ kind: 'retryable', retryAfterMs: 4_000 });
    expect(await send(s)).toMatchObject({ kind: 'permanent', reason: expect.stringContaining('gRPC status 8') });
  });

  it.each([
    ['CANCELLED', grpc.status.CANCELLED],
    ['DEADLINE_EXCEEDED', grpc.status.DEADLINE_EXCEEDED],
    ['ABORTED', grpc.status.ABORTED],
    ['OUT_OF_RANGE', grpc.status.OUT_OF_RANGE],
    ['DATA_LOSS', grpc.status.DATA_LOSS],
  ])('retries %s', async (_name, code) => {
    backend.failNext(1, code);
    expect((await send(sender())).kind).toBe('retryable');
  });

  it.each([
    ['INVALID_ARGUMENT', grpc.status.INVALID_ARGUMENT],
    ['PERMISSION_DENIED', grpc.status.PERMISSION_DENIED],
    ['INTERNAL', grpc.status.INTERNAL],
    ['UNIMPLEMENTED', grpc.status.UNIMPLEMENTED],
  ])('gives up on %s', async (_name, code) => {
    backend.failNext(1, { code, message: 'nope' });
    expect(await send(sender())).toEqual({ kind: 'permanent', reason: `gRPC status ${code}: nope` });
  });

  it('gives up with UNAUTHENTICATED when the metadata credentials are wrong', async () => {
    expect(await send(sender({ headers: { authorization: 'Bearer wrong' } }))).toMatchObject({ kind: 'permanent', reason: expect.stringContaining('gRPC status 16') });
  });

  it('never puts a header secret into a failure reason, even when the backend echoes it', async () => {
    backend.failNext(1, { code: grpc.status.INVALID_ARGUMENT, message: 'bad Bearer grpc-t0ken' });
    const result = await send(sender());
    expect(result.kind).toBe('permanent');
    expect(JSON.stringify(result)).not.toContain('grpc-t0ken');
  });

  it('starts with a header gRPC cannot carry, as the Collector does, and fails each send permanently naming it', async () => {
    const s = sender({ headers: { 'can you have a . here?': 'x' } });
    await s.start();
    const result = await send(s);
    expect(result).toMatchObject({ kind: 'permanent' });
    expect((result as { reason: string }).reason).toContain('can you have a . here?');
    expect(backend.requests).toHaveLength(0);
  });

  it('sends configgrpc\'s authority as :authority, and with wait_for_ready waits out a down backend until its timeout instead of failing at once', async () => {
    const tap = await startWireTap();
    try {
      const s = new OtlpGrpcLogsSender({ config: otlpConfigSchema.parse({ endpoint: tap.endpoint, tls: { insecure: true }, authority: 'logs.backend.example', read_buffer_size: 1024 }), logger: silentLogger });
      expect((await send(s)).kind).toBe('success');
      expect(tap.frames[0]!.authority).toBe('logs.backend.example');
      await s.shutdown();
    } finally {
      await tap.close();
    }
    await backend.goDown();
    // DEADLINE_EXCEEDED: the call waited for the channel until its timeout.
    expect(await send(sender({ wait_for_ready: true, timeout: '400ms' }))).toMatchObject({ kind: 'retryable', reason: expect.stringContaining('gRPC status 4') });
    expect(await send(sender())).toMatchObject({ kind: 'retryable', reason: expect.stringContaining('gRPC status 14') });
  });

  it('retries when the backend is down (connection refused)', async () => {
    await backend.goDown();
    expect(await send(sender())).toMatchObject({ kind: 'retryable', reason: expect.stringContaining('gRPC status 14') });
  });

  it('retries when the send times out before the server answers', async () => {
    const controller = new AbortController();
    const hanging = new grpc.Server();
    hanging.addService(rawLogsServiceDefinition, { Export: () => controller.abort(new DOMException('timed out', 'TimeoutError')) });
    const port = await new Promise<number>((resolve, reject) =>
      hanging.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    try {
      const result = await sender({ endpoint: `127.0.0.1:${port}` }).send(queuedRequest(logsWith('a')), controller.signal);
      expect(result).toEqual({ kind: 'retryable', reason: 'request timed out', retryAfterMs: undefined });
    } finally {
      hanging.forceShutdown();
    }
  });

  it('retries with DEADLINE_EXCEEDED when the server is slower than the timeout', async () => {
    const hanging = new grpc.Server();
    hanging.addService(rawLogsServiceDefinition, { Export: () => undefined });
    const port = await new Promise<number>((resolve, reject) =>
      hanging.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    try {
      const result = await sender({ endpoint: `127.0.0.1:${port}`, timeout: '50ms' }).send(queuedRequest(logsWith('a')), neverAborts());
      expect(result).toMatchObject({ kind: 'retryable', reason: expect.stringContaining('gRPC status 4') });
    } finally {
      hanging.forceShutdown();
    }
  });
});
