import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { newLogRecord, type Logs } from '../../../src/pdata/model.js';
import { encodeLogs } from '../../../src/pdata/proto.js';
import { otlpReceiverFactory } from '../../../src/receivers/otlp/factory.js';
import { EXPORT_METHOD, startReceiver, type Running } from './harness.js';

/**
 * `protocols.grpc.max_connections`: the gRPC listener is capped like the HTTP ones. Connections
 * over the cap are closed at once and counted in `gateway_server_refused_connections_total`
 * {server="<receiver>/grpc"}; once a slot is free, gRPC clients are served again.
 */

const logs: Logs = { resourceLogs: [{ schemaUrl: '', scopeLogs: [{ schemaUrl: '', logRecords: [newLogRecord({ body: { stringValue: 'x' } })] }] }] };

let run: Running | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await run?.receiver.shutdown();
  run = undefined;
});

function openConnection(address: string): Promise<Socket> {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const s = connect(Number(port), host, () => resolve(s));
    s.on('error', reject);
    sockets.push(s);
  });
}

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

/** One Export over a fresh grpc-js channel (its own connection), failing within `deadlineMs`. */
function exportOnce(address: string, deadlineMs = 5_000): Promise<ServiceError | undefined> {
  const client = new Client(address, credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
  return new Promise((resolve) => {
    client.makeUnaryRequest(EXPORT_METHOD, (b: Buffer) => b, (b: Buffer) => b, Buffer.from(encodeLogs(logs)), new Metadata(), { deadline: Date.now() + deadlineMs }, (err) => {
      client.close();
      resolve(err ?? undefined);
    });
  });
}

describe('OTLP/gRPC receiver: max_connections', () => {
  it('closes connections over protocols.grpc.max_connections at once, counts them, and serves again once a slot is free', async () => {
    run = await startReceiver({ grpc: { endpoint: '127.0.0.1:0', max_connections: 2 } });
    // Two idle connections (a client that never sends its preface) hold both slots.
    const held = [await openConnection(run.grpcAddress), await openConnection(run.grpcAddress)];
    const extra = await openConnection(run.grpcAddress);
    expect(await closedWithin(extra, 5_000)).toBe('closed');
    // A real gRPC client is refused too, and told so (UNAVAILABLE), not left hanging until its deadline.
    const refused = await exportOnce(run.grpcAddress);
    expect(refused?.code).toBe(status.UNAVAILABLE);
    expect(run.next.calls).toBe(0);
    const metrics = await run.telemetry.metrics();
    const count = Number(/gateway_server_refused_connections_total\{server="otlp\/grpc"\} (\d+)/.exec(metrics)?.[1]);
    expect(count).toBeGreaterThanOrEqual(2);

    for (const s of held) s.destroy();
    // The server notices the freed slots asynchronously: retry until it does.
    let error: ServiceError | undefined = refused;
    for (let i = 0; i < 50 && error; i++) {
      error = await exportOnce(run.grpcAddress);
      if (error) await new Promise((r) => setTimeout(r, 100));
    }
    expect(error).toBeUndefined();
    expect(run.next.received).toEqual([logs]);
  });

  it('takes max_connections in protocols.grpc, a positive integer, and defaults below the fd limit', async () => {
    const parse = (grpc: Record<string, unknown>) => otlpReceiverFactory.schema.safeParse({ protocols: { grpc } });
    expect(parse({ max_connections: 10 }).success).toBe(true);
    expect(parse({ max_connections: 0 }).success).toBe(false);
    expect(parse({ max_connections: 'many' }).success).toBe(false);
    run = await startReceiver({ grpc: { endpoint: '127.0.0.1:0' } });
    // Registered (at 0) for the listener even before anything is refused, so dashboards see it.
    expect(await run.telemetry.metrics()).toMatch(/gateway_server_refused_connections_total\{server="otlp\/grpc"\} 0/);
  });
});
