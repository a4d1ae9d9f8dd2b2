import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startConnectProxy, type ConnectProxy } from '../../fakes/connect-proxy.js';

/** The CONNECT proxy fake (test/fakes/connect-proxy.ts) refuses everything a strict egress proxy refuses. */

let proxy: ConnectProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

function connectTo(target: string, headers: Record<string, string> = {}): Promise<number> {
  const { port } = new URL(proxy!.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'CONNECT', path: target, headers });
    req.on('connect', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on('response', (res) => resolve(res.statusCode ?? 0));
    req.on('error', reject);
    req.end();
  });
}

describe('CONNECT proxy fake', () => {
  it('answers a plain (absolute-form) request 405: it only tunnels', async () => {
    proxy = await startConnectProxy();
    const res = await fetch(proxy.url + '/anything');
    expect(res.status).toBe(405);
    expect(proxy.refusals).toEqual([405]);
    expect(proxy.tunnels).toEqual([]);
  });

  it('refuses a tunnel anywhere but loopback with 403', async () => {
    proxy = await startConnectProxy();
    expect(await connectTo('example.com:443')).toBe(403);
    expect(proxy.tunnels).toEqual([]);
  });

  it('asks for credentials with 407 when configured, and tunnels with the right ones', async () => {
    proxy = await startConnectProxy({ credentials: { user: 'u', password: 'p4ss-word' } });
    const target = new URL(proxy.url).host;
    expect(await connectTo(target)).toBe(407);
    expect(await connectTo(target, { 'proxy-authorization': `Basic ${Buffer.from('u:wrong').toString('base64')}` })).toBe(407);
    expect(await connectTo(target, { 'proxy-authorization': `Basic ${Buffer.from('u:p4ss-word').toString('base64')}` })).toBe(200);
    expect(proxy.tunnels).toEqual([target]);
    expect(proxy.refusals).toEqual([407, 407]);
  });
});
