import { credentials, Metadata, status } from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { connect as tlsConnect, createSecureContext } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { newLogRecord, type Logs } from '../../../src/pdata/model.js';
import { encodeLogs } from '../../../src/pdata/proto.js';
import type { Component, Host } from '../../../src/pipeline/component.js';
import type { RequestHeaders } from '../../../src/receivers/otlp/auth.js';
import { counterValue, grpcExportRaw, startReceiver, type Running } from './harness.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const logs: Logs = { resourceLogs: [{ schemaUrl: '', scopeLogs: [{ schemaUrl: '', logRecords: [newLogRecord({ body: { stringValue: 'x' } })] }] }] };
const TOKEN = 'Bearer s3cret-token-value';

/** A stand-in server authenticator extension: accepts exactly one bearer token. */
class TokenAuth implements Component {
  seen: RequestHeaders[] = [];
  async start() {}
  async shutdown() {}
  authenticate(headers: RequestHeaders): boolean {
    this.seen.push(headers);
    return headers.authorization === TOKEN;
  }
}

const hostWith = (extensions: Record<string, Component>): Host => ({ getExtension: (id) => extensions[id] });

let run: Running | undefined;
afterEach(async () => {
  await run?.receiver.shutdown();
  run = undefined;
});

describe('otlp receiver auth.authenticator', () => {
  const protocols = {
    http: { endpoint: '127.0.0.1:0', auth: { authenticator: 'bearertokenauth' } },
    grpc: { endpoint: '127.0.0.1:0', auth: { authenticator: 'bearertokenauth' } },
  };

  it('fails start with a clear error when the authenticator extension is not configured', async () => {
    await expect(startReceiver(protocols, hostWith({}))).rejects.toMatchObject({
      code: 'COMPONENT_START_FAILED',
      message: expect.stringMatching(/auth\.authenticator: extension "bearertokenauth" is not configured/),
    });
  });

  it('fails start when the named extension is not an authenticator', async () => {
    const notAuth: Component = { start: async () => {}, shutdown: async () => {} };
    await expect(startReceiver(protocols, hostWith({ bearertokenauth: notAuth }))).rejects.toMatchObject({
      message: expect.stringMatching(/"bearertokenauth" is not an authenticator/),
    });
  });

  it('answers 401 over HTTP without the right credentials, and accepts with them', async () => {
    const auth = new TokenAuth();
    run = await startReceiver(protocols, hostWith({ bearertokenauth: auth }));
    const send = (headers: Record<string, string>) =>
      fetch(`${run!.httpUrl}/v1/logs`, { method: 'POST', body: encodeLogs(logs), headers: { 'content-type': 'application/x-protobuf', ...headers } });
    const refused = await send({ authorization: 'Bearer wrong' });
    expect(refused.status).toBe(401);
    expect(Buffer.from(await refused.arrayBuffer()).toString('latin1')).not.toContain('s3cret');
    expect(run.next.calls).toBe(0);
    expect((await send({ authorization: TOKEN })).status).toBe(200);
    expect(await counterValue(run.telemetry.receiverRequestsRefused, { receiver: 'otlp', transport: 'http', status: '401' })).toBe(1);
  });

  it('refuses (401) rather than fails open when the authenticator itself throws', async () => {
    const broken = Object.assign(new TokenAuth(), {
      authenticate(): boolean {
        throw new Error('key store unreachable');
      },
    });
    run = await startReceiver({ http: protocols.http }, hostWith({ bearertokenauth: broken }));
    const res = await fetch(`${run.httpUrl}/v1/logs`, { method: 'POST', body: encodeLogs(logs), headers: { 'content-type': 'application/x-protobuf', authorization: TOKEN } });
    expect(res.status).toBe(401);
    expect(run.next.calls).toBe(0);
  });

  it('answers UNAUTHENTICATED over gRPC without the right credentials, and accepts with them', async () => {
    const auth = new TokenAuth();
    run = await startReceiver(protocols, hostWith({ bearertokenauth: auth }));
    const bad = await grpcExportRaw(run.grpcAddress, encodeLogs(logs));
    expect(bad.error?.code).toBe(status.UNAUTHENTICATED);
    const md = new Metadata();
    md.set('authorization', TOKEN);
    expect((await grpcExportRaw(run.grpcAddress, encodeLogs(logs), { metadata: md })).error).toBeUndefined();
    expect(auth.seen.at(-1)?.authorization).toBe(TOKEN);
    expect(await counterValue(run.telemetry.receiverRequestsRefused, { receiver: 'otlp', transport: 'grpc', status: 'UNAUTHENTICATED' })).toBe(1);
  });
});

describe('otlp receiver tls', () => {
  const tls = { cert_file: fixture('server.pem'), key_file: fixture('server.key') };
  const ca = readFileSync(fixture('ca.pem'));

  function httpsPost(port: number, extra: { cert?: Buffer; key?: Buffer; maxVersion?: 'TLSv1.2' | 'TLSv1.3' } = {}): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path: '/v1/logs', method: 'POST', ca, ...extra, headers: { 'content-type': 'application/x-protobuf' } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode!));
        },
      );
      req.on('error', reject);
      req.end(encodeLogs(logs));
    });
  }

  it('serves OTLP/HTTP over TLS', async () => {
    run = await startReceiver({ http: { endpoint: '127.0.0.1:0', tls } });
    expect(await httpsPost(run.receiver.httpPort!)).toBe(200);
    expect(run.next.received).toHaveLength(1);
  });

  it('serves OTLP/gRPC over TLS', async () => {
    run = await startReceiver({ grpc: { endpoint: '127.0.0.1:0', tls } });
    const { error } = await grpcExportRaw(`localhost:${run.receiver.grpcPort}`, encodeLogs(logs), { credentials: credentials.createSsl(ca) });
    expect(error).toBeUndefined();
    expect(run.next.received).toHaveLength(1);
  });

  it('requires a client certificate signed by client_ca_file (mutual TLS)', async () => {
    run = await startReceiver({ http: { endpoint: '127.0.0.1:0', tls: { ...tls, client_ca_file: fixture('ca.pem') } } });
    await expect(httpsPost(run.receiver.httpPort!)).rejects.toThrow();
    expect(await httpsPost(run.receiver.httpPort!, { cert: readFileSync(fixture('client.pem')), key: readFileSync(fixture('client.key')) })).toBe(200);
  });

  /** The TLS version a handshake with the gRPC port settles on, or the handshake's error. */
  function grpcHandshake(port: number, version: 'TLSv1.2' | 'TLSv1.3'): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ca, ALPNProtocols: ['h2'], minVersion: version, maxVersion: version }, () => {
        resolve(socket.getProtocol() ?? 'none');
        socket.destroy();
      });
      socket.on('error', reject);
    });
  }

  it('holds OTLP/gRPC to tls.min_version and tls.max_version', async () => {
    run = await startReceiver({ grpc: { endpoint: '127.0.0.1:0', tls: { ...tls, min_version: '1.3' } } });
    const port = run.receiver.grpcPort!;
    await expect(grpcHandshake(port, 'TLSv1.2')).rejects.toThrow();
    expect(await grpcHandshake(port, 'TLSv1.3')).toBe('TLSv1.3');
    const client = credentials.createFromSecureContext(createSecureContext({ ca, minVersion: 'TLSv1.3' }));
    expect((await grpcExportRaw(`localhost:${port}`, encodeLogs(logs), { credentials: client })).error).toBeUndefined();
    expect(run.next.received).toHaveLength(1);
    await run.receiver.shutdown();

    run = await startReceiver({ grpc: { endpoint: '127.0.0.1:0', tls: { ...tls, max_version: '1.2' } } });
    await expect(grpcHandshake(run.receiver.grpcPort!, 'TLSv1.3')).rejects.toThrow();
    expect(await grpcHandshake(run.receiver.grpcPort!, 'TLSv1.2')).toBe('TLSv1.2');
  });

  it('refuses clients below tls.min_version', async () => {
    run = await startReceiver({ http: { endpoint: '127.0.0.1:0', tls: { ...tls, min_version: '1.3' } } });
    await expect(httpsPost(run.receiver.httpPort!, { maxVersion: 'TLSv1.2' })).rejects.toThrow();
    expect(await httpsPost(run.receiver.httpPort!, { maxVersion: 'TLSv1.3' })).toBe(200);
    expect(run.next.received).toHaveLength(1);
  });
});
