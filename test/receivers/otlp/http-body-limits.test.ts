import { once } from 'node:events';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { createGzip, deflateSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { newLogRecord, type Logs } from '../../../src/pdata/model.js';
import { encodeLogs } from '../../../src/pdata/proto.js';
import { zstdCompress } from '../../../src/compression/zstd.js';
import { counterValue, startReceiver, statusOf, type Running } from './harness.js';

const PROTO = 'application/x-protobuf';
const MIB = 1024 * 1024;

function logsOf(n: number, bodyBytes = 100): Logs {
  const logRecords = Array.from({ length: n }, (_, i) => newLogRecord({ severityNumber: 9, body: { stringValue: `${i}:`.padEnd(bodyBytes, 'x') } }));
  return { resourceLogs: [{ schemaUrl: '', scopeLogs: [{ schemaUrl: '', logRecords }] }] };
}

/** `size` bytes of zeros, gzipped without ever holding them in memory. */
async function gzipBomb(size: number): Promise<Buffer> {
  const gzip = createGzip({ level: 9 });
  const out: Buffer[] = [];
  gzip.on('data', (c: Buffer) => out.push(c));
  const zeros = Buffer.alloc(MIB);
  for (let written = 0; written < size; written += zeros.length) if (!gzip.write(zeros)) await once(gzip, 'drain');
  gzip.end();
  await once(gzip, 'end');
  return Buffer.concat(out);
}

let run: Running | undefined;
afterEach(async () => {
  await run?.receiver.shutdown();
  run = undefined;
});

const post = (body: Uint8Array, headers: Record<string, string>) =>
  fetch(`${run!.httpUrl}/v1/logs`, { method: 'POST', body, headers: { 'content-type': PROTO, ...headers } });

describe('otlp receiver over HTTP: compressed bodies and size limits', () => {
  it('accepts a gzip-compressed protobuf body', async () => {
    run = await startReceiver({ http: { endpoint: '127.0.0.1:0' } });
    const res = await post(gzipSync(encodeLogs(logsOf(50))), { 'content-encoding': 'gzip' });
    expect(res.status).toBe(200);
    expect(run.next.received).toEqual([logsOf(50)]);
  });

  it('accepts a deflate-compressed JSON body', async () => {
    run = await startReceiver({ http: { endpoint: '127.0.0.1:0' } });
    const json = JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ severityNumber: 9, body: { stringValue: 'deflated' } }] }] }] });
    const res = await post(deflateSync(json), { 'content-encoding': 'deflate', 'content-type': 'application/json' });
    expect(res.status).toBe(200);
    expect(run.next.received[0].resourceLogs[0].scopeLogs[0].logRecords[0].body).toEqual({ stringValue: 'deflated' });
  });

  it('accepts a zstd-compressed protobuf body, and "zlib" as the Collector names deflate', async () => {
    run = await startReceiver({ http: { endpoint: '127.0.0.1:0' } });
    expect((await post(await zstdCompress(encodeLogs(logsOf(50))), { 'content-encoding': 'zstd' })).status).toBe(200);
    expect((await post(deflateSync(encodeLogs(logsOf(3))), { 'content-encoding': 'zlib' })).status).toBe(200);
    expect(run.next.received).toEqual([logsOf(50), logsOf(3)]);
  });

  it('answers 400 to a truncated zstd body and ingests none of it', async () => {
    run = await startReceiver({ http: { endpoint: '127.0.0.1:0' } });
    const compressed = await zstdCompress(encodeLogs(logsOf(500)));
    const res = await post(compressed.subarray(0, compressed.length - 20), { 'content-encoding': 'zstd' });
    expect(res.status).toBe(400);
    expect((await statusOf(res)).message).toMatch(/not valid zstd data/);
    expect(run.next.calls).toBe(0);
  });

  it('stops decompressing a zstd bomb at the limit: 413, and keeps serving', async () => {
    run = await startReceiver({ http: { endpoint: '127.0.0.1:0', max_request_body_size: MIB } });
    const bomb = await zstdCompress(Buffer.alloc(30 * MIB));
    expect(bomb.length).toBeLessThan(10 * 1024);
    const before = process.memoryUsage();
    const res = await post(bomb, { 'content-encoding': 'zstd' });
    const after = process.memoryUsage();
    expect(res.status).toBe(413);
    expect((await statusOf(res)).message).toMatch(/after decompression/);
    const growth = after.arrayBuffers - before.arrayBuffers + (after.heapUsed - before.heapUsed);
    expect(growth).toBeLessThan(20 * MIB);
    expect(run.next.calls).toBe(0);
    expect((await post(await zstdCompress(encodeLogs(logsOf(1))), { 'content-encoding': 'zstd' })).status).toBe(200);
  });

  it('answers 413 when a body is small on the wire but over the limit after decompression', async () => {
    run = await startReceiver({ http: { endpoint: '127.0.0.1:0', max_request_body_size: 4096 } });
    const compressed = gzipSync(encodeLogs(logsOf(100)));
    expect(compressed.length).toBeLessThan(4096);
    const res = await post(compressed, { 'content-encoding': 'gzip' });
    expect(res.status).toBe(413);
    expect((await statusOf(res)).message).toMatch(/after decompression/);
    expect(run.next.calls).toBe(0);
  });

  it('accepts a body exactly at the limit', async () => {
    const body = encodeLogs(logsOf(10));
    run = await startReceiver({ http: { endpoint: '127.0.0.1:0', max_request_body_size: body.length } });
    expect((await post(body, {})).status).toBe(200);
  });

  it('answers 413 to a chunked body (no Content-Length) that grows over the limit, then keeps serving', async () => {
    run = await startReceiver({ http: { endpoint: '127.0.0.1:0', max_request_body_size: 64 * 1024 } });
    const chunk = new Uint8Array(16 * 1024).fill(0x0a);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 16; i++) controller.enqueue(chunk);
        controller.close();
      },
    });
    const res = await fetch(`${run.httpUrl}/v1/logs`, { method: 'POST', body: stream, headers: { 'content-type': PROTO }, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
    await res.arrayBuffer();
    expect((await post(encodeLogs(logsOf(1)), {})).status).toBe(200);
  });

  it('stops inflating a gzip bomb at the limit: 413, and the process does not hold the 50 MB', async () => {
    run = await startReceiver({ http: { endpoint: '127.0.0.1:0', max_request_body_size: MIB } });
    const bomb = await gzipBomb(50 * MIB);
    expect(bomb.length).toBeLessThan(100 * 1024);
    const before = process.memoryUsage();
    const res = await post(bomb, { 'content-encoding': 'gzip' });
    const after = process.memoryUsage();
    expect(res.status).toBe(413);
    expect((await statusOf(res)).message).toMatch(/exceeds max_request_body_size \(1048576 bytes\) after decompression/);
    // Inflating it whole would add 50 MB of buffers; stopping at the limit keeps growth near 1 MiB.
    const growth = after.arrayBuffers - before.arrayBuffers + (after.heapUsed - before.heapUsed);
    expect(growth).toBeLessThan(20 * MIB);
    expect(await counterValue(run.telemetry.receiverRequestsRefused, { receiver: 'otlp', transport: 'http', status: '413' })).toBe(1);
    expect(run.next.calls).toBe(0);
    expect((await post(gzipSync(encodeLogs(logsOf(1))), { 'content-encoding': 'gzip' })).status).toBe(200);
  });

  it('keeps the connection usable after refusing a body it stopped reading', async () => {
    run = await startReceiver({ http: { endpoint: '127.0.0.1:0', max_request_body_size: MIB } });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<unknown>();
    const send = (body: Buffer) =>
      new Promise<number>((resolve, reject) => {
        const req = request(`${run!.httpUrl}/v1/logs`, { method: 'POST', agent, headers: { 'content-type': PROTO, 'content-encoding': 'gzip' } }, (res) => {
          sockets.add(req.socket);
          res.resume();
          res.on('end', () => resolve(res.statusCode!));
        });
        req.on('error', reject);
        req.end(body);
      });
    expect(await send(await gzipBomb(20 * MIB))).toBe(413);
    expect(await send(gzipSync(encodeLogs(logsOf(2))))).toBe(200);
    expect(sockets.size).toBe(1);
    agent.destroy();
  });

  it('forgets a request whose client hangs up mid-body, and keeps serving', async () => {
    run = await startReceiver({ http: { endpoint: '127.0.0.1:0' } });
    const socket = connect(run.receiver.httpPort!, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(`POST /v1/logs HTTP/1.1\r\nHost: x\r\nContent-Type: ${PROTO}\r\nContent-Length: 1000\r\n\r\n0123456789`);
    socket.destroy();
    await once(socket, 'close');
    expect((await post(encodeLogs(logsOf(1)), {})).status).toBe(200);
    expect(run.next.calls).toBe(1);
  });
});
