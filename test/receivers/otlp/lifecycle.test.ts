import { status } from '@grpc/grpc-js';
import { Agent, request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/errors.js';
import { newLogRecord, type Logs } from '../../../src/pdata/model.js';
import { encodeLogs } from '../../../src/pdata/proto.js';
import { otlpReceiverFactory, type OtlpReceiver } from '../../../src/receivers/otlp/factory.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { Telemetry } from '../../../src/telemetry/telemetry.js';
import { CapturingConsumer, grpcExportRaw, noExtensions, startReceiver } from './harness.js';

const logs: Logs = { resourceLogs: [{ schemaUrl: '', scopeLogs: [{ schemaUrl: '', logRecords: [newLogRecord({ body: { stringValue: 'x' } })] }] }] };
const post = (url: string) => fetch(`${url}/v1/logs`, { method: 'POST', body: encodeLogs(logs), headers: { 'content-type': 'application/x-protobuf' } });

describe('otlp receiver lifecycle', () => {
  it('is registered as the `otlp` receiver type', () => {
    expect(otlpReceiverFactory).toMatchObject({ kind: 'receiver', type: 'otlp' });
  });

  it('exposes the ports it bound when configured with port 0, and only for enabled protocols', async () => {
    const both = await startReceiver();
    expect(both.receiver.httpPort).toBeGreaterThan(0);
    expect(both.receiver.grpcPort).toBeGreaterThan(0);
    await both.receiver.shutdown();
    const httpOnly = await startReceiver({ http: { endpoint: '127.0.0.1:0' } });
    expect(httpOnly.receiver.grpcPort).toBeUndefined();
    await httpOnly.receiver.shutdown();
  });

  it('keeps a connection alive across requests', async () => {
    const run = await startReceiver({ http: { endpoint: '127.0.0.1:0' } });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<unknown>();
    const agentPost = () =>
      new Promise<number>((resolve, reject) => {
        const req = request(`${run.httpUrl}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, agent }, (res) => {
          sockets.add(req.socket);
          res.resume();
          res.on('end', () => resolve(res.statusCode!));
        });
        req.on('error', reject);
        req.end(encodeLogs(logs));
      });
    expect([await agentPost(), await agentPost(), await agentPost()]).toEqual([200, 200, 200]);
    expect(sockets.size).toBe(1);
    agent.destroy();
    await run.receiver.shutdown();
  });

  it('finishes in-flight requests on shutdown, then refuses new connections; shutdown is idempotent', async () => {
    const run = await startReceiver();
    let release!: () => void;
    run.next.gate = new Promise<void>((r) => (release = r));
    const httpInFlight = post(run.httpUrl);
    const grpcInFlight = grpcExportRaw(run.grpcAddress, encodeLogs(logs));
    while (run.next.calls < 2) await new Promise((r) => setTimeout(r, 5));

    const first = run.receiver.shutdown();
    const second = run.receiver.shutdown();
    release();
    expect((await httpInFlight).status).toBe(200);
    expect((await grpcInFlight).error).toBeUndefined();
    await Promise.all([first, second]);
    await run.receiver.shutdown();
    expect(run.next.received).toHaveLength(2);
    await expect(post(run.httpUrl)).rejects.toThrow();
  });

  it('shuts down cleanly when it was never started', async () => {
    const receiver = otlpReceiverFactory.create(
      { id: 'otlp', telemetry: new Telemetry({ processMetrics: false }), logger: silentLogger },
      otlpReceiverFactory.schema.parse({ protocols: { grpc: null } }),
      new CapturingConsumer(),
    );
    await expect(receiver.shutdown()).resolves.toBeUndefined();
  });

  it('fails start with COMPONENT_START_FAILED when the port is taken, and leaves nothing listening', async () => {
    const holder = await startReceiver({ http: { endpoint: '127.0.0.1:0' } });
    const receiver = otlpReceiverFactory.create(
      { id: 'otlp', telemetry: new Telemetry({ processMetrics: false }), logger: silentLogger },
      otlpReceiverFactory.schema.parse({ protocols: { grpc: { endpoint: '127.0.0.1:0' }, http: { endpoint: `127.0.0.1:${holder.receiver.httpPort}` } } }),
      new CapturingConsumer(),
    ) as OtlpReceiver;
    const err = await receiver.start(noExtensions).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ code: 'COMPONENT_START_FAILED', message: expect.stringMatching(/cannot listen for OTLP\/HTTP/) });
    // The gRPC server that did start was closed again.
    const call = await grpcExportRaw(`127.0.0.1:${receiver.grpcPort}`, encodeLogs(logs), { channelOptions: { 'grpc.initial_reconnect_backoff_ms': 50 } });
    expect(call.error?.code).toBe(status.UNAVAILABLE);
    await holder.receiver.shutdown();
  });

  it('fails start naming the key when a TLS file cannot be read', async () => {
    const err = await startReceiver({ http: { endpoint: '127.0.0.1:0', tls: { cert_file: '/nonexistent/cert.pem', key_file: '/nonexistent/key.pem' } } }, noExtensions).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'COMPONENT_START_FAILED', message: expect.stringMatching(/receivers\.otlp\.protocols\.http\.tls\.cert_file/) });
  });
});
