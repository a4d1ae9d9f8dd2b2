import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromAnyValue } from '../../../src/pdata/values.js';
import { FakeMakeApi, type FakeScenario } from '../../fakes/make-api.js';
import { OtlpHttpBackend } from '../../fakes/otlp-http-backend.js';
import { startGateway, writeConfig, type GatewayProcess } from '../../helpers/gateway-process.js';

/**
 * Audit logs and incomplete executions through the real gateway process, killed with SIGKILL once
 * their records were acknowledged by the backend and a later poll pass had begun (so the cursor
 * and the open set were written): after the restart nothing is repeated and nothing is lost.
 */

const TOKEN = `mk-ops-${randomBytes(8).toString('hex')}`;
let make: FakeMakeApi;
let backend: OtlpHttpBackend;
let dir: string;
let configPath: string;
const runs: GatewayProcess[] = [];
let scenario: FakeScenario;

beforeAll(async () => {
  make = new FakeMakeApi({ token: TOKEN, organizationId: 21, teamIds: [27] });
  await make.start();
  backend = await OtlpHttpBackend.start();
  dir = mkdtempSync(join(tmpdir(), 'mog-make-ops-'));
  configPath = writeConfig(
    `
extensions:
  file_storage:
    directory: ${join(dir, 'data')}
receivers:
  make:
    api_token: \${env:MAKE_API_TOKEN}
    base_url: ${make.baseUrl}
    team_id: 27
    organization_id: 21
    poll_interval: 1s
    initial_lookback: 1h
    requests_per_minute: 6000
    storage: file_storage
    audit_logs:
      enabled: true
    incomplete_executions:
      enabled: true
exporters:
  otlphttp:
    endpoint: ${backend.url}
    sending_queue:
      enabled: true
      storage: file_storage
    retry_on_failure:
      initial_interval: 100ms
      max_interval: 500ms
      max_elapsed_time: 0
service:
  extensions: [file_storage]
  # No /metrics listener: the default 0.0.0.0:8888 collides with other test files running at once.
  telemetry:
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [make]
      exporters: [otlphttp]
`,
    dir,
  );
  scenario = make.addScenario({ name: 'Order sync' });
});

afterAll(async () => {
  for (const r of runs) await r.kill9();
  await Promise.all([make?.close(), backend?.close()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function start(): Promise<GatewayProcess> {
  const gw = await startGateway(configPath, { MAKE_API_TOKEN: TOKEN });
  runs.push(gw);
  return gw;
}

async function until(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `event_name/id` of every delivered audit or incomplete-execution record, in arrival order. */
function delivered(): string[] {
  return backend.records().flatMap((r) => {
    const a = Object.fromEntries(r.attributes.map((kv) => [kv.key, fromAnyValue(kv.value)]));
    if (r.eventName.startsWith('make.audit.')) return [`audit/${String(a['make.audit.uuid'])}`];
    if (r.eventName.startsWith('make.incomplete_execution')) return [`${r.eventName}/${String(a['make.incomplete_execution.id'])}`];
    return [];
  });
}

/** Waits for `count` records at the backend and then for a later pass's audit-log request. */
async function settle(count: number): Promise<void> {
  await until(`${count} records`, () => delivered().length >= count);
  const mark = make.requests.length;
  await until('a later poll pass', () => make.requests.slice(mark).some((r) => r.path.includes('/audit-logs/')));
}

describe('audit logs and incomplete executions across kill -9', () => {
  it('delivers each audit entry and each incomplete-execution change exactly once across two kills', async () => {
    const expected: string[] = [];
    const t = Date.now() - 10 * 60_000;
    for (let i = 0; i < 30; i++) expected.push(`audit/${make.ops.addAuditLog({ triggeredMs: t + i * 1000 }).uuid}`);
    const d1 = make.ops.addIncompleteExecution(scenario.id);
    expected.push(`make.incomplete_execution/${d1.id}`);

    let gw = await start();
    await settle(expected.length);
    await gw.kill9();

    for (let i = 0; i < 10; i++) expected.push(`audit/${make.ops.addAuditLog({ triggeredMs: Date.now() - 5000 + i }).uuid}`);
    make.ops.resolveIncompleteExecution(scenario.id, d1.id);
    expected.push(`make.incomplete_execution.resolved/${d1.id}`);
    const d2 = make.ops.addIncompleteExecution(scenario.id);
    expected.push(`make.incomplete_execution/${d2.id}`);

    gw = await start();
    await settle(expected.length);
    await gw.kill9();

    gw = await start();
    // Two full passes after the restart: anything repeated would have arrived by then.
    const mark = make.requests.length;
    await until('two poll passes', () => make.requests.slice(mark).filter((r) => r.path.includes('/audit-logs/')).length >= 2);
    await gw.stop();

    const got = delivered();
    expect(got.length).toBe(expected.length);
    expect(new Set(got)).toEqual(new Set(expected));
  });
});
