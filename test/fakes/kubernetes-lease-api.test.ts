import { Agent, request } from 'undici';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCa } from '../helpers/test-ca.js';
import { FakeKubernetesLeaseApi } from './kubernetes-lease-api.js';

/** The Lease API fake refuses what the API server refuses: a lenient fake would prove nothing. */

const TOKEN = 'sa-token-fake-strictness';
let api: FakeKubernetesLeaseApi;
let agent: Agent;
const base = () => `https://127.0.0.1:${api.port}/apis/coordination.k8s.io/v1/namespaces/ops/leases`;
const now = () => new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
const lease = (extra: Record<string, unknown> = {}) => ({
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: { name: 'poller', namespace: 'ops' },
  spec: { holderIdentity: 'a', leaseDurationSeconds: 15, renewTime: now(), acquireTime: now() },
  ...extra,
});

async function call(method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await request(url, {
    method: method as 'GET',
    dispatcher: agent,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.statusCode, json: (await res.body.json()) as Record<string, any> };
}

beforeAll(async () => {
  const ca = await testCa();
  api = new FakeKubernetesLeaseApi({ token: TOKEN, ...ca.server });
  await api.start();
  agent = new Agent({ connect: { ca: readFileSync(ca.caFile) } });
});
afterAll(async () => {
  await api?.close();
  await agent?.close();
});

describe('fake Kubernetes Lease API strictness', () => {
  it('refuses a missing or wrong bearer token with a 401 Status', async () => {
    const r = await call('GET', `${base()}/poller`, undefined, { authorization: 'Bearer nope' });
    expect(r.status).toBe(401);
    expect(r.json.kind).toBe('Status');
  });

  it('refuses non-JSON bodies (415), bad MicroTime and unknown spec fields (422)', async () => {
    expect((await call('POST', base(), JSON.stringify(lease()), { 'content-type': 'application/yaml' })).status).toBe(415);
    const badTime = lease({ spec: { holderIdentity: 'a', renewTime: new Date().toISOString() } });
    expect((await call('POST', base(), badTime)).status).toBe(422);
    expect((await call('POST', base(), lease({ spec: { holder: 'a' } }))).status).toBe(422);
    expect((await call('POST', base(), lease({ spec: { leaseDurationSeconds: 1.5 } }))).status).toBe(422);
  });

  it('creates once (409 AlreadyExists after), and refuses a PUT without or with a stale resourceVersion', async () => {
    const created = await call('POST', base(), lease());
    expect(created.status).toBe(201);
    expect((await call('POST', base(), lease())).json.reason).toBe('AlreadyExists');
    const v1 = created.json.metadata.resourceVersion as string;
    const noVersion = await call('PUT', `${base()}/poller`, lease());
    expect(noVersion.status).toBe(422);
    const ok = await call('PUT', `${base()}/poller`, { ...created.json, spec: { ...created.json.spec, holderIdentity: 'b' } });
    expect(ok.status).toBe(200);
    expect(ok.json.metadata.resourceVersion).not.toBe(v1);
    const stale = await call('PUT', `${base()}/poller`, { ...created.json, spec: { ...created.json.spec, holderIdentity: 'c' } });
    expect(stale.status).toBe(409);
    expect(stale.json.reason).toBe('Conflict');
    expect(api.lease('ops', 'poller')?.spec.holderIdentity).toBe('b');
  });

  it('answers 404 for an unknown lease and for paths outside the Lease API', async () => {
    expect((await call('GET', `${base()}/missing`)).status).toBe(404);
    expect((await call('GET', `https://127.0.0.1:${api.port}/api/v1/namespaces/ops/configmaps/x`)).status).toBe(404);
  });
});
