import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fromAnyValue } from '../../src/pdata/values.js';
import { PAGE_LIMIT } from '../../src/receivers/make/poller.js';
import { FakeKubernetesLeaseApi } from '../fakes/kubernetes-lease-api.js';
import { FakeMakeApi } from '../fakes/make-api.js';
import { OtlpHttpBackend } from '../fakes/otlp-http-backend.js';
import { startGateway, writeConfig, type GatewayProcess } from '../helpers/gateway-process.js';
import { natsServerMissing, startNatsServer, type NatsServer } from '../helpers/nats-server.js';
import { testCa } from '../helpers/test-ca.js';

/**
 * Two gateway processes with the same `make` receiver config and a lease (docs/scaling.md): one
 * polls, the other waits. kill -9 the poller mid-stream: the other takes over within 2 × ttl, with
 * the cursors the lease carries, so nothing is lost and at most one poll page is repeated.
 * Run once over a real nats-server's JetStream KV, once over a strict fake of the Kubernetes Lease API.
 */

const TTL_MS = 3_000;
const TOKEN = `mk-lease-${randomBytes(8).toString('hex')}`;
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

interface LeaseSetup {
  yaml: string;
  env: NodeJS.ProcessEnv;
}

async function until(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function runTakeover(setup: () => Promise<LeaseSetup>): Promise<void> {
  const make = new FakeMakeApi({ token: TOKEN, organizationId: 21, teamIds: [27] });
  await make.start();
  const backend = await OtlpHttpBackend.start();
  const root = mkdtempSync(join(tmpdir(), 'mog-lease-'));
  cleanups.push(() => make.close(), () => backend.close(), () => rmSync(root, { recursive: true, force: true }));
  const lease = await setup();
  const scenario = make.addScenario({ name: 'Orders' });
  const expected = new Set<string>();
  const add = (n: number, startMs = Date.now() - 2000) => {
    for (let i = 0; i < n; i++) expected.add(make.addExecution(scenario.id, { startMs: startMs + i }).id);
  };
  add(250, Date.now() - 30 * 60_000);

  const config = (name: string) =>
    writeConfig(
      `
extensions:
  file_storage:
    directory: ${join(root, name)}
receivers:
  make:
    api_token: \${env:MAKE_API_TOKEN}
    base_url: ${make.baseUrl}
    organization_id: 21
    poll_interval: 1s
    initial_lookback: 1h
    requests_per_minute: 6000
${lease.yaml}
exporters:
  otlphttp:
    endpoint: ${backend.url}
    sending_queue:
      enabled: true
      storage: file_storage
    retry_on_failure:
      initial_interval: 100ms
      max_interval: 500ms
service:
  extensions: [file_storage]
  telemetry:
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [make]
      exporters: [otlphttp]
`,
      mkdtempSync(join(root, `${name}-config-`)),
    );
  const paths = { a: config('a'), b: config('b') };
  const env = { MAKE_API_TOKEN: TOKEN, ...lease.env };
  const running: GatewayProcess[] = [];
  cleanups.push(async () => {
    for (const g of running) await g.kill9();
  });
  const start = async (name: 'a' | 'b') => {
    const g = await startGateway(paths[name], env);
    running.push(g);
    return g;
  };
  const ids = () => backend.records().map((r) => String(fromAnyValue(r.attributes.find((kv) => kv.key === 'make.execution.id')!.value)));
  const acquired = (g: GatewayProcess) => g.stderr().includes('make lease acquired');

  const gws = { a: await start('a'), b: await start('b') };
  await until('the backlog delivered', () => new Set(ids()).size >= expected.size);
  // Phase 1: two replicas, one poller: nothing twice.
  expect(ids().length).toBe(expected.size);
  expect([acquired(gws.a), acquired(gws.b)].filter(Boolean)).toHaveLength(1);
  const [leaderName, followerName] = acquired(gws.a) ? (['a', 'b'] as const) : (['b', 'a'] as const);

  // Phase 2: executions keep arriving while the poller is killed.
  const feeder = setInterval(() => add(5), 200);
  await new Promise((r) => setTimeout(r, 1500));
  const killedAt = Date.now();
  await gws[leaderName].kill9();
  await until('the follower takes over', () => acquired(gws[followerName]), 4 * TTL_MS);
  const takeoverMs = Date.now() - killedAt;
  await new Promise((r) => setTimeout(r, 2000));
  clearInterval(feeder);
  // The killed replica comes back on its own disk (as a StatefulSet pod does) and drains what it
  // had queued; it joins as a follower.
  const back = await start(leaderName);
  await until('every execution delivered', () => [...expected].every((id) => ids().includes(id)));
  const mark = make.requests.length;
  await until('two more poll passes', () => make.requests.slice(mark).filter((r) => r.path.includes('/logs')).length >= 2);
  await new Promise((r) => setTimeout(r, 1000));
  expect(acquired(back)).toBe(false);

  const got = ids();
  const duplicates = got.length - new Set(got).size;
  expect(takeoverMs).toBeLessThan(2 * TTL_MS);
  expect(new Set(got)).toEqual(expected);
  expect(duplicates).toBeLessThanOrEqual(PAGE_LIMIT);
}

describe.skipIf(natsServerMissing)('make poller lease over NATS JetStream KV (real nats-server)', () => {
  it('one replica polls; kill -9 of it hands over within 2 x ttl; nothing lost, at most a page repeated', async () => {
    await runTakeover(async () => {
      const nats: NatsServer = await startNatsServer();
      cleanups.push(() => nats.stop());
      return { yaml: `    lease:\n      backend: nats\n      ttl: ${TTL_MS / 1000}s\n      url: ${nats.url}`, env: {} };
    });
  }, 180_000);
});

describe('make poller lease over the Kubernetes Lease API (strict fake)', () => {
  it('one replica polls; kill -9 of it hands over within 2 x ttl; nothing lost, at most a page repeated', async () => {
    let api!: FakeKubernetesLeaseApi;
    await runTakeover(async () => {
      const ca = await testCa();
      const saToken = `sa-${randomBytes(12).toString('hex')}`;
      api = new FakeKubernetesLeaseApi({ token: saToken, ...ca.server });
      await api.start();
      cleanups.push(() => api.close());
      const sa = mkdtempSync(join(tmpdir(), 'mog-sa-'));
      writeFileSync(join(sa, 'token'), saToken);
      writeFileSync(join(sa, 'ca.crt'), readFileSync(ca.caFile));
      writeFileSync(join(sa, 'namespace'), 'observability\n');
      cleanups.push(() => rmSync(sa, { recursive: true, force: true }));
      return {
        yaml: `    lease:\n      backend: kubernetes\n      ttl: ${TTL_MS / 1000}s`,
        env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(api.port), MAKE_OTEL_GATEWAY_SERVICE_ACCOUNT_DIR: sa },
      };
    });
    // The cursors travelled in the Lease object, where the survivor read them.
    const [lease] = [...api.leases.values()];
    expect(lease.metadata.namespace).toBe('observability');
    const cursorKeys = Object.keys(JSON.parse(lease.metadata.annotations?.['make-otel-gateway.io/cursors'] ?? '{}') as object);
    expect(cursorKeys.some((k) => /^scenario\/\d+\/cursor$/.test(k))).toBe(true);
    expect(lease.spec.leaseTransitions).toBeGreaterThanOrEqual(1);
  }, 180_000);
});
