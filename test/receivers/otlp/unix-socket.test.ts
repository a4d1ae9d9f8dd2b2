import { Client, credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { newLogRecord, type Logs } from '../../../src/pdata/model.js';
import { encodeLogs } from '../../../src/pdata/proto.js';
import { otlpReceiverFactory } from '../../../src/receivers/otlp/factory.js';
import { EXPORT_METHOD, startReceiver, type Running } from './harness.js';

/**
 * `transport: unix` on the otlp receiver (confignet): `endpoint` is a socket path. Sidecars and
 * node agents reach the gateway through a socket in a shared volume, with no port to expose.
 */

const logs = (body: string): Logs => ({ resourceLogs: [{ schemaUrl: '', scopeLogs: [{ schemaUrl: '', logRecords: [newLogRecord({ body: { stringValue: body } })] }] }] });
const dirs: string[] = [];
let run: Running | undefined;
afterEach(async () => {
  await run?.receiver.shutdown();
  run = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const socketDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'otlp-sock-'));
  dirs.push(d);
  return d;
};

function postOverSocket(socketPath: string, body: Uint8Array): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: '/v1/logs', method: 'POST', headers: { 'content-type': 'application/x-protobuf' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function grpcOverSocket(socketPath: string, body: Uint8Array): Promise<ServiceError | undefined> {
  const client = new Client(`unix:${socketPath}`, credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(EXPORT_METHOD, (b: Buffer) => b, (b: Buffer) => b, Buffer.from(body), new Metadata(), { deadline: Date.now() + 10_000 }, (err) => {
      client.close();
      resolve(err ?? undefined);
    });
  });
}

describe('otlp receiver: transport unix', () => {
  it('serves OTLP/HTTP and OTLP/gRPC on unix sockets, and removes them on shutdown', async () => {
    const d = socketDir();
    const http = join(d, 'http.sock');
    const grpc = join(d, 'grpc.sock');
    run = await startReceiver({ http: { transport: 'unix', endpoint: http }, grpc: { transport: 'unix', endpoint: grpc } });
    expect(await postOverSocket(http, encodeLogs(logs('over http')))).toBe(200);
    expect(await grpcOverSocket(grpc, encodeLogs(logs('over grpc')))).toBeUndefined();
    const bodies = run.next.received.flatMap((l) => l.resourceLogs[0].scopeLogs[0].logRecords.map((r) => r.body?.stringValue));
    expect(bodies).toEqual(['over http', 'over grpc']);
    await run.receiver.shutdown();
    run = undefined;
    expect(existsSync(http)).toBe(false);
    expect(existsSync(grpc)).toBe(false);
  });

  it('reuses a socket file left by a killed process, and refuses one that is live or not a socket', async () => {
    const d = socketDir();
    const stale = join(d, 'stale.sock');
    const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(stale)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(existsSync(stale)).toBe(true);
    run = await startReceiver({ http: { transport: 'unix', endpoint: stale } });
    expect(await postOverSocket(stale, encodeLogs(logs('after restart')))).toBe(200);
    await run.receiver.shutdown();
    run = undefined;

    const live = join(d, 'live.sock');
    const other = createServer();
    await new Promise<void>((r) => other.listen(live, r));
    try {
      await expect(startReceiver({ http: { transport: 'unix', endpoint: live } })).rejects.toThrow(/COMPONENT_START_FAILED|cannot listen for OTLP\/HTTP on unix:.*live\.sock: .*in use/);
    } finally {
      await new Promise((r) => other.close(r));
    }
    const plain = join(d, 'not-a-socket');
    writeFileSync(plain, 'data');
    await expect(startReceiver({ grpc: { transport: 'unix', endpoint: plain } })).rejects.toThrow(/not a socket/);
  });

  it('validates: a socket needs an endpoint path; tcp endpoints stay host:port', () => {
    const parse = (protocols: unknown) => otlpReceiverFactory.schema.safeParse({ protocols });
    const noPath = parse({ http: { transport: 'unix' } });
    expect(noPath.success).toBe(false);
    expect(JSON.stringify(noPath.error?.issues)).toMatch(/transport unix needs endpoint/);
    const badTcp = parse({ grpc: { transport: 'tcp', endpoint: '/run/otlp.sock' } });
    expect(badTcp.success).toBe(false);
    expect(JSON.stringify(badTcp.error?.issues)).toMatch(/expected host:port/);
    expect(parse({ grpc: { transport: 'tcp4', endpoint: '0.0.0.0:4317' } }).success).toBe(true);
  });
});
