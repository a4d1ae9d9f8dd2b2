import { Client, credentials, Metadata, status } from '@grpc/grpc-js';
import type { ClientHttp2Session } from 'node:http2';
import { connect } from 'node:net';
import { deflateSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { RetryableError } from '../../../src/errors.js';
import { newLogRecord, type Logs } from '../../../src/pdata/model.js';
import { decodeExportResponse, encodeLogs } from '../../../src/pdata/proto.js';
import { counterValue, EXPORT_METHOD, grpcExportRaw, startReceiver, type Running } from './harness.js';
import { framed, gzipFramed, openSession, rawCall } from './grpc-wire.js';

/**
 * The OTLP/gRPC receiver's own HTTP/2 gRPC server, at the wire: what gRPC clients (grpc-js,
 * grpc-go, raw HTTP/2) get for every protocol case, and that none of it crashes the server or
 * hands a half-read request downstream.
 */

const logs = (n = 1): Logs => ({
  resourceLogs: [{ schemaUrl: '', scopeLogs: [{ schemaUrl: '', logRecords: Array.from({ length: n }, (_, i) => newLogRecord({ body: { stringValue: `r${i}` } })) }] }],
});

let run: Running | undefined;
let session: ClientHttp2Session | undefined;
afterEach(async () => {
  session?.destroy();
  session = undefined;
  await run?.receiver.shutdown();
  run = undefined;
});

async function start(extra: Record<string, unknown> = {}): Promise<{ run: Running; session: ClientHttp2Session }> {
  run = await startReceiver({ grpc: { endpoint: '127.0.0.1:0', ...extra } });
  session = await openSession(run.grpcAddress);
  return { run, session };
}

const refusedCount = (r: Running, code: string) => counterValue(r.telemetry.receiverRequestsRefused, { receiver: 'otlp', transport: 'grpc', status: code });

describe('OTLP/gRPC receiver, protocol cases over raw HTTP/2', () => {
  it('answers an Export with HEADERS, one framed ExportLogsServiceResponse and grpc-status 0 trailers', async () => {
    const { run, session } = await start();
    const answer = await rawCall(session, { chunks: [framed(encodeLogs(logs(2)))] });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/grpc');
    expect(answer.headers['grpc-accept-encoding']).toMatch(/gzip/);
    expect(answer.grpcStatus).toBe(0);
    expect(answer.data[0]).toBe(0);
    expect(answer.data.readUInt32BE(1)).toBe(answer.data.length - 5);
    expect(decodeExportResponse(answer.data.subarray(5))).toEqual({ rejectedLogRecords: 0n, errorMessage: '' });
    expect(run.next.received).toEqual([logs(2)]);
  });

  it('reassembles a message split across many DATA frames, the prefix itself split', async () => {
    const { run, session } = await start();
    const whole = framed(encodeLogs(logs(50)));
    const chunks = [whole.subarray(0, 2), whole.subarray(2, 4), ...Array.from({ length: 10 }, (_, i) => whole.subarray(4 + i * Math.ceil((whole.length - 4) / 10), 4 + (i + 1) * Math.ceil((whole.length - 4) / 10)))];
    expect((await rawCall(session, { chunks })).grpcStatus).toBe(0);
    expect(run.next.received).toEqual([logs(50)]);
  });

  it('answers a wrong content-type with HTTP 415 and INVALID_ARGUMENT, without calling downstream', async () => {
    const { run, session } = await start();
    const answer = await rawCall(session, { headers: { 'content-type': 'application/json' }, chunks: [framed(encodeLogs(logs()))] });
    expect(answer.status).toBe(415);
    expect(answer.grpcStatus).toBe(status.INVALID_ARGUMENT);
    expect(answer.grpcMessage).toMatch(/content-type "application\/json"/);
    expect(run.next.calls).toBe(0);
    expect(await refusedCount(run, 'INVALID_ARGUMENT')).toBe(1);
  });

  it('accepts application/grpc+proto', async () => {
    const { run, session } = await start();
    expect((await rawCall(session, { headers: { 'content-type': 'application/grpc+proto' }, chunks: [framed(encodeLogs(logs()))] })).grpcStatus).toBe(0);
    expect(run.next.received).toHaveLength(1);
  });

  it('answers an unknown method UNIMPLEMENTED, to grpc-js as to raw HTTP/2', async () => {
    const { run, session } = await start();
    const raw = await rawCall(session, { path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export', chunks: [framed(new Uint8Array())] });
    expect(raw.grpcStatus).toBe(status.UNIMPLEMENTED);
    expect(raw.grpcMessage).toMatch(/unknown method \/opentelemetry\.proto\.collector\.trace\.v1\.TraceService\/Export/);
    const client = new Client(run.grpcAddress, credentials.createInsecure());
    const code = await new Promise<number | undefined>((resolve) =>
      client.makeUnaryRequest('/opentelemetry.proto.collector.metrics.v1.MetricsService/Export', (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), (err) => resolve(err?.code)),
    );
    client.close();
    expect(code).toBe(status.UNIMPLEMENTED);
    expect(await refusedCount(run, 'UNIMPLEMENTED')).toBe(2);
  });

  it('answers a grpc-encoding it does not support UNIMPLEMENTED, listing the ones it does', async () => {
    const { run, session } = await start();
    const answer = await rawCall(session, { headers: { 'grpc-encoding': 'snappy' }, chunks: [framed(encodeLogs(logs()), true)] });
    expect(answer.grpcStatus).toBe(status.UNIMPLEMENTED);
    expect(answer.headers['grpc-accept-encoding']).toBe('identity,deflate,gzip');
    expect(run.next.calls).toBe(0);
  });

  it('accepts gzip and deflate messages, and an uncompressed message on a gzip call', async () => {
    const { run, session } = await start();
    const body = encodeLogs(logs(3));
    expect((await rawCall(session, { headers: { 'grpc-encoding': 'gzip' }, chunks: [gzipFramed(body)] })).grpcStatus).toBe(0);
    expect((await rawCall(session, { headers: { 'grpc-encoding': 'deflate' }, chunks: [framed(deflateSync(body), true)] })).grpcStatus).toBe(0);
    // The flag is per message: a client may send one uncompressed on a call that declared gzip.
    expect((await rawCall(session, { headers: { 'grpc-encoding': 'gzip' }, chunks: [framed(body)] })).grpcStatus).toBe(0);
    expect(run.next.received).toEqual([logs(3), logs(3), logs(3)]);
  });

  it('accepts deflate from grpc-js (grpc.default_compression_algorithm 1)', async () => {
    run = await startReceiver({ grpc: { endpoint: '127.0.0.1:0' } });
    const { error } = await grpcExportRaw(run.grpcAddress, encodeLogs(logs(20)), { channelOptions: { 'grpc.default_compression_algorithm': 1 } });
    expect(error).toBeUndefined();
    expect(run.next.received).toEqual([logs(20)]);
  });

  it('refuses protocol violations INTERNAL and hands nothing downstream: flag set on identity, truncated, two messages, no message, bad flag', async () => {
    const { run, session } = await start();
    const one = framed(encodeLogs(logs()));
    const cases = [
      { chunks: [framed(encodeLogs(logs()), true)], message: /compressed flag set but grpc-encoding is identity/ },
      { chunks: [one.subarray(0, one.length - 3)], message: /truncated/ },
      { chunks: [one.subarray(0, 3)], message: /truncated/ },
      { chunks: [one, one], message: /more than one request message/ },
      { chunks: [], message: /no request message/ },
      { chunks: [Buffer.concat([Buffer.from([7]), one.subarray(1)])], message: /invalid compressed flag 7/ },
    ];
    for (const c of cases) {
      const answer = await rawCall(session, { chunks: c.chunks });
      expect(answer.grpcStatus).toBe(status.INTERNAL);
      expect(answer.grpcMessage).toMatch(c.message);
    }
    expect(run.next.calls).toBe(0);
    expect(await refusedCount(run, 'INTERNAL')).toBe(cases.length);
    expect((await rawCall(session, { chunks: [one] })).grpcStatus).toBe(0);
  });

  it('answers corrupt gzip INVALID_ARGUMENT, as OTLP/HTTP answers a corrupt body 400', async () => {
    const { run, session } = await start();
    const gz = gzipSync(encodeLogs(logs(5)));
    gz.fill(0x55, 12, 30);
    const answer = await rawCall(session, { headers: { 'grpc-encoding': 'gzip' }, chunks: [framed(gz, true)] });
    expect(answer.grpcStatus).toBe(status.INVALID_ARGUMENT);
    expect(answer.grpcMessage).toMatch(/cannot decompress the gzip message/);
    expect(run.next.calls).toBe(0);
  });

  it('refuses a message whose prefix announces more than max_recv_msg_size_mib at once, without waiting for the body', async () => {
    const { run, session } = await start({ max_recv_msg_size_mib: 1 });
    const prefix = Buffer.from([0, 0, 0, 0, 0]);
    prefix.writeUInt32BE(512 * 1024 * 1024, 1); // announces 512 MiB, then sends 1 KiB and keeps the stream open
    const answer = await rawCall(session, { chunks: [prefix, Buffer.alloc(1024)], keepOpen: true });
    expect(answer.grpcStatus).toBe(status.RESOURCE_EXHAUSTED);
    expect(answer.grpcMessage).toMatch(/larger than max \(536870912 vs\. 1048576\)/);
    expect(run.next.calls).toBe(0);
    expect(await refusedCount(run, 'RESOURCE_EXHAUSTED')).toBe(1);
    expect((await rawCall(session, { chunks: [framed(encodeLogs(logs()))] })).grpcStatus).toBe(0);
  });

  it('stops inflating a gzip bomb at the limit: RESOURCE_EXHAUSTED, and the process does not hold it', async () => {
    const { run, session } = await start({ max_recv_msg_size_mib: 1 });
    const bomb = gzipSync(Buffer.alloc(200 * 1024 * 1024)); // 200 MiB of zeros, ~200 KB on the wire
    const before = process.memoryUsage().arrayBuffers;
    const answer = await rawCall(session, { headers: { 'grpc-encoding': 'gzip' }, chunks: [framed(bomb, true)] });
    expect(answer.grpcStatus).toBe(status.RESOURCE_EXHAUSTED);
    expect(answer.grpcMessage).toMatch(/decompresses to more than max/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(50 * 1024 * 1024);
    expect(run.next.calls).toBe(0);
  });

  it('carries non-ASCII refusal text percent-encoded, so clients read it back intact', async () => {
    run = await startReceiver({ grpc: { endpoint: '127.0.0.1:0' } });
    run.next.failWith = new RetryableError('file d’attente pleine: 100 % — réessayez', 2000);
    const { error } = await grpcExportRaw(run.grpcAddress, encodeLogs(logs()));
    expect(error?.code).toBe(status.UNAVAILABLE);
    expect(error?.details).toBe('file d’attente pleine: 100 % — réessayez');
  });

  it('answers PINGs on the connection', async () => {
    const { session } = await start();
    const rtt = await new Promise<number>((resolve, reject) => session.ping((err, ms) => (err ? reject(err) : resolve(ms))));
    expect(rtt).toBeGreaterThanOrEqual(0);
  });

  it('keeps serving after garbage: random bodies, a reset mid-message, a connection that is not HTTP/2', async () => {
    const { run, session } = await start();
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (let i = 0; i < 40; i++) {
      const junk = Buffer.from(Array.from({ length: Math.floor(rand() * 64) }, () => Math.floor(rand() * 256)));
      // Every one is answered with a status (none of these seeds makes a valid message).
      expect((await rawCall(session, { chunks: [junk] })).grpcStatus).toBeGreaterThan(0);
    }
    const req = session.request({ ':method': 'POST', ':path': EXPORT_METHOD, 'content-type': 'application/grpc' });
    req.on('error', () => {});
    req.write(framed(encodeLogs(logs())).subarray(0, 10));
    req.close();
    const sock = connect(run.receiver.grpcPort!, '127.0.0.1');
    sock.on('error', () => {});
    await new Promise((r) => sock.once('connect', r));
    sock.resume();
    sock.end('GET / HTTP/1.1\r\n\r\n');
    // The server ends a connection without the HTTP/2 preface (it answers GOAWAY first).
    await new Promise((r) => sock.once('close', r));
    expect((await rawCall(session, { chunks: [framed(encodeLogs(logs()))] })).grpcStatus).toBe(0);
    expect(run.next.received).toHaveLength(1);
  });
});

describe('OTLP/gRPC receiver, deadlines and cancellation', () => {
  it('answers DEADLINE_EXCEEDED when grpc-timeout passes while downstream still holds the request', async () => {
    const { run, session } = await start();
    let release!: () => void;
    run.next.gate = new Promise<void>((r) => (release = r));
    const started = Date.now();
    const answer = await rawCall(session, { headers: { 'grpc-timeout': '200m' }, chunks: [framed(encodeLogs(logs()))] });
    expect(answer.grpcStatus).toBe(status.DEADLINE_EXCEEDED);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(await refusedCount(run, 'DEADLINE_EXCEEDED')).toBe(1);
    release();
    // Released afterwards: the server is fine, and the next call is answered normally.
    expect((await rawCall(session, { headers: { 'grpc-timeout': '5S' }, chunks: [framed(encodeLogs(logs()))] })).grpcStatus).toBe(0);
  });

  it('treats a grpc-timeout beyond any timer (99999999H) as no deadline, not as an expired one', async () => {
    const { run, session } = await start();
    // Downstream takes a moment: an overflowing timer would have fired (after 1 ms) by then.
    run.next.gate = new Promise((r) => setTimeout(r, 100));
    const answer = await rawCall(session, { headers: { 'grpc-timeout': '99999999H' }, chunks: [framed(encodeLogs(logs()))] });
    expect(answer.grpcStatus).toBe(0);
    expect(run.next.received).toHaveLength(1);
  });

  it('honours a grpc-js client deadline the same way', async () => {
    run = await startReceiver({ grpc: { endpoint: '127.0.0.1:0' } });
    run.next.gate = new Promise<void>(() => {});
    const client = new Client(run.grpcAddress, credentials.createInsecure());
    const code = await new Promise<number | undefined>((resolve) =>
      client.makeUnaryRequest(EXPORT_METHOD, (b: Buffer) => b, (b: Buffer) => b, Buffer.from(encodeLogs(logs())), new Metadata(), { deadline: Date.now() + 300 }, (err) => resolve(err?.code)),
    );
    client.close();
    expect(code).toBe(status.DEADLINE_EXCEEDED);
  });

  it('counts a call the client cancelled before the answer as CANCELLED and keeps serving', async () => {
    const { run, session } = await start();
    let release!: () => void;
    run.next.gate = new Promise<void>((r) => (release = r));
    const req = session.request({ ':method': 'POST', ':path': '/opentelemetry.proto.collector.logs.v1.LogsService/Export', 'content-type': 'application/grpc', te: 'trailers' });
    req.on('error', () => {});
    req.end(framed(encodeLogs(logs())));
    while (run.next.calls < 1) await new Promise((r) => setTimeout(r, 5));
    req.close(0x8); // RST_STREAM CANCEL
    while ((await refusedCount(run, 'CANCELLED')) < 1) await new Promise((r) => setTimeout(r, 5));
    release();
    run.next.gate = undefined;
    expect((await rawCall(session, { chunks: [framed(encodeLogs(logs()))] })).grpcStatus).toBe(0);
  });
});
