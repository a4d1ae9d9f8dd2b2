import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeyValue, LogRecord } from '../../src/pdata/model.js';
import { fromAnyValue } from '../../src/pdata/values.js';
import { PAGE_LIMIT } from '../../src/receivers/make/poller.js';
import { FakeMakeApi, type FakeExecution, type FakeScenario } from '../fakes/make-api.js';
import { OtlpHttpBackend } from '../fakes/otlp-http-backend.js';
import { startGateway, writeConfig, type GatewayProcess } from '../helpers/gateway-process.js';
import { freePort } from '../helpers/ports.js';

/**
 * The `make` receiver polling a (fake) Make API through the real gateway process, as
 * examples/make-to-otlp.yaml runs it: cursors and the exporter queue in one file_storage
 * directory, batch, otlphttp. docs/make-receiver.md (mapping, exactly once per execution) and
 * section 1 (the cursor moves only after a durable enqueue; kill -9 loses nothing).
 *
 * Duplicates: docs/make-receiver.md promises at most one repeated page when the process dies
 * between a durable enqueue and the cursor write, and the queue may resend a request the backend
 * acknowledged just before a kill (counted in gateway_exporter_redelivered_log_records_total). The
 * first two kill tests kill the gateway only once that window is provably closed (the exporter
 * counted the records as sent, which happens after their queue row is deleted, and a later poll
 * pass has started, so the delivering pass wrote its cursor), so the promise they check is exactly
 * once. The backlog test kills in the middle of a drain and checks the at-least-once bound.
 */

const TOKEN = `mk-e2e-${randomBytes(12).toString('hex')}`;
const MINUTE = 60_000;
/** Part of the receiver's warning on a 401/403 from Make. */
const AUTH_HINT = 'check api_token';

let make: FakeMakeApi;
let backend: OtlpHttpBackend;
let dir: string;
let configPath: string;
let metricsPort: number;
let gateway: GatewayProcess | undefined;
/** Every gateway process started, killed ones included (their stderr stays readable). */
const runs: GatewayProcess[] = [];

let orderSync: FakeScenario;
let leadImport: FakeScenario;
let brokenAuth: FakeScenario;
const expected = new Set<string>();
let failed: FakeExecution;
let pending: FakeExecution;

beforeAll(async () => {
  // 600 requests a minute (a Teams+ plan): the receiver reads it from GET /organizations/{id}.
  make = new FakeMakeApi({ token: TOKEN, organizationId: 21, teamIds: [27], apiLimit: 600 });
  await make.start();
  backend = await OtlpHttpBackend.start();
  dir = mkdtempSync(join(tmpdir(), 'mog-make-poll-'));
  metricsPort = await freePort();
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
    storage: file_storage
    service_name: make-e2e
processors:
  memory_limiter:
    check_interval: 1s
    limit_percentage: 80
    spike_limit_percentage: 20
  batch:
    timeout: 200ms
exporters:
  otlphttp:
    endpoint: ${backend.url}
    compression: gzip
    sending_queue:
      enabled: true
      storage: file_storage
    retry_on_failure:
      initial_interval: 100ms
      max_interval: 500ms
      max_elapsed_time: 0
service:
  extensions: [file_storage]
  pipelines:
    logs/make:
      receivers: [make]
      processors: [memory_limiter, batch]
      exporters: [otlphttp]
  telemetry:
    metrics:
      address: 127.0.0.1:${metricsPort}
`,
    dir,
  );

  orderSync = make.addScenario({ name: 'Order sync' });
  leadImport = make.addScenario({ name: 'Lead import' });
  brokenAuth = make.addScenario({ name: 'Broken auth' });
  const now = Date.now();
  failed = make.addExecution(orderSync.id, {
    startMs: now - 5 * MINUTE,
    status: 3,
    type: 'manual',
    authorId: 5,
    duration: 19979,
    operations: 10,
    transfer: 4096,
    centicredits: 1000,
    instant: true,
  });
  const finished = [
    failed,
    make.addExecution(orderSync.id, { startMs: now - 4 * MINUTE, status: 1 }),
    make.addExecution(orderSync.id, { startMs: now - 3 * MINUTE, status: 2 }),
    make.addExecution(leadImport.id, { startMs: now - 4 * MINUTE, status: 1 }),
    make.addExecution(leadImport.id, { startMs: now - 1 * MINUTE, status: 1 }),
    make.addExecution(brokenAuth.id, { startMs: now - 2 * MINUTE, status: 1 }),
  ];
  for (const e of finished) expected.add(e.id);
  // Still running: Make lists it, but the receiver waits until it has finished.
  pending = make.addExecution(leadImport.id, { startMs: now - 2 * MINUTE, status: 0 });
  // One scenario's logs answer 401 at first: the others carry on, the warning never shows the token.
  make.failScenarioLogs(brokenAuth.id, 401);
  gateway = await start();
});

afterAll(async () => {
  await gateway?.stop();
  await Promise.all([make?.close(), backend?.close()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function start(): Promise<GatewayProcess> {
  const gw = await startGateway(configPath, { MAKE_API_TOKEN: TOKEN });
  runs.push(gw);
  return gw;
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function metricsText(): Promise<string> {
  return (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
}

/** The value of one sample, 0 when it is absent (a counter never incremented). */
async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of (await metricsText()).split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (wanted.every((l) => line.includes(l))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}

interface Delivered {
  resource: Record<string, unknown>;
  record: LogRecord;
  attributes: Record<string, unknown>;
}

function plain(kvs: KeyValue[]): Record<string, unknown> {
  return Object.fromEntries(kvs.map((kv) => [kv.key, fromAnyValue(kv.value)]));
}

function delivered(): Delivered[] {
  return backend.requests.flatMap((req) =>
    req.logs.resourceLogs.flatMap((rl) =>
      rl.scopeLogs.flatMap((sl) => sl.logRecords.map((record) => ({ resource: plain(rl.resource?.attributes ?? []), record, attributes: plain(record.attributes) }))),
    ),
  );
}

function deliveredIds(): string[] {
  return delivered().map((d) => String(d.attributes['make.execution.id']));
}

/** How often each id arrived, for ids that arrived more than once. */
function repeats(): Record<string, number> {
  const counts = new Map<string, number>();
  for (const id of deliveredIds()) counts.set(id, (counts.get(id) ?? 0) + 1);
  return Object.fromEntries([...counts].filter(([, n]) => n > 1));
}

/** Waits until the exporter has acknowledged `count` records and a poll pass began after that. */
async function quiesce(count: number): Promise<void> {
  await until(`${count} records sent`, async () => (await metric('otelcol_exporter_sent_log_records_total', { exporter: 'otlphttp' })) >= count);
  const mark = make.requests.length;
  await until('a later poll pass', () => make.requests.slice(mark).some((r) => r.path.endsWith('/scenarios')));
}

describe('make receiver polling, through the gateway process', () => {
  it('delivers every finished execution once, with the resource, severity, body and attributes of the mapping', async () => {
    await until('the 401 warning', () => gateway!.stderr().includes(AUTH_HINT));
    make.failScenarioLogs(brokenAuth.id, undefined);
    await backend.waitForRecords(expected.size, 20_000);
    await quiesce(expected.size);

    expect(deliveredIds().sort()).toEqual([...expected].sort());
    expect(repeats()).toEqual({});
    const all = delivered();
    for (const d of all) {
      expect(d.record.eventName).toBe('make.scenario.execution');
      expect(d.resource['service.name']).toBe('make-e2e');
      expect(d.resource['make.organization.id']).toBe(21n);
      expect(d.resource['make.team.id']).toBe(27n);
      expect(d.resource['make.zone']).toBe(new URL(make.baseUrl).host);
    }
    const byScenario = (s: FakeScenario) => all.filter((d) => d.resource['make.scenario.id'] === BigInt(s.id));
    expect(byScenario(orderSync)).toHaveLength(3);
    expect(byScenario(leadImport)).toHaveLength(2);
    expect(byScenario(brokenAuth).map((d) => d.resource['make.scenario.name'])).toEqual(['Broken auth']);

    const f = all.find((d) => d.attributes['make.execution.id'] === failed.id)!;
    expect(f.resource['make.scenario.name']).toBe('Order sync');
    expect(f.record.severityNumber).toBe(17);
    expect(f.record.severityText).toBe('ERROR');
    expect(f.record.timeUnixNano).toBe(BigInt(Date.parse(failed.timestamp)) * 1_000_000n);
    expect(f.record.observedTimeUnixNano).toBeGreaterThanOrEqual(f.record.timeUnixNano);
    expect(f.record.body?.stringValue).toBe(`Scenario "Order sync" execution ${failed.id}: error, 19979 ms, 10 operations`);
    expect(f.attributes).toEqual({
      'make.execution.id': failed.id,
      'make.execution.imt_id': failed.imtId,
      'make.execution.status': 'error',
      'make.execution.type': 'manual',
      'make.execution.duration_ms': 19979n,
      'make.execution.operations': 10n,
      'make.execution.transfer_bytes': 4096n,
      'make.execution.centicredits': 1000n,
      'make.execution.instant': true,
      'make.execution.author_id': 5n,
    });
    const statuses = all.map((d) => [d.attributes['make.execution.status'], d.record.severityNumber, d.record.severityText]);
    expect(statuses).toContainEqual(['success', 9, 'INFO']);
    expect(statuses).toContainEqual(['warning', 13, 'WARN']);
    // author_id is left out when Make says null (auto runs).
    expect(all.filter((d) => d.attributes['make.execution.type'] === 'auto').every((d) => !('make.execution.author_id' in d.attributes))).toBe(true);
    expect(deliveredIds()).not.toContain(pending.id);
    expect(await metric('gateway_make_executions_ingested_total', { scenario_id: String(orderSync.id) })).toBe(3);
    expect(await metric('gateway_make_api_requests_total', { status: '401' })).toBeGreaterThanOrEqual(1);
    // The newest Order sync run delivered started 3 minutes before the gateway did.
    expect(await metric('gateway_make_poll_lag_seconds', { scenario_id: String(orderSync.id) })).toBeGreaterThanOrEqual(3 * 60);
    expect(backend.requests.every((r) => r.contentEncoding === 'gzip')).toBe(true);
  });

  it('after kill -9, delivers what ran while it was down (late and finished-pending runs too) and repeats nothing', async () => {
    await gateway!.kill9();
    const now = Date.now();
    const added = [
      make.addExecution(orderSync.id, { startMs: now - 10_000, status: 1 }),
      make.addExecution(leadImport.id, { startMs: now - 5_000, status: 3 }),
      // Started before everything already delivered, listed only now (a long run that just ended).
      make.addExecution(orderSync.id, { startMs: now - 8 * MINUTE, status: 1, duration: 7 * MINUTE }),
    ];
    make.updateExecution(leadImport.id, pending.id, { status: 1, duration: 90_000 });
    for (const e of [...added, pending]) expected.add(e.id);

    gateway = await start();
    await backend.waitForRecords(expected.size, 20_000);
    await quiesce(added.length + 1); // this process's own counter: what it sent

    expect(deliveredIds().sort()).toEqual([...expected].sort());
    expect(repeats()).toEqual({});
    const p = delivered().find((d) => d.attributes['make.execution.id'] === pending.id)!;
    expect(p.attributes['make.execution.status']).toBe('success');
    expect(await metric('gateway_exporter_redelivered_log_records_total', { exporter: 'otlphttp' })).toBe(0);
  });

  it('keeps executions polled during a backend outage across kill -9 and delivers them after restart', async () => {
    await backend.goDown('refuse');
    const before = await metric('otelcol_receiver_accepted_log_records_total', { transport: 'poll' });
    const now = Date.now();
    const during = [make.addExecution(orderSync.id, { startMs: now - 2_000, status: 2 }), make.addExecution(brokenAuth.id, { startMs: now - 1_000, status: 3 })];
    for (const e of during) expected.add(e.id);
    // Accepted means durably queued: the cursor moves past them although the backend is down.
    await until('the outage executions accepted', async () => (await metric('otelcol_receiver_accepted_log_records_total', { transport: 'poll' })) >= before + 2);
    const mark = make.requests.length;
    await until('a later poll pass', () => make.requests.slice(mark).some((r) => r.path.endsWith('/scenarios')));
    expect(await metric('otelcol_exporter_queue_size', { exporter: 'otlphttp' })).toBeGreaterThan(0);
    await gateway!.kill9();
    await backend.comeUp();

    gateway = await start();
    await backend.waitForRecords(expected.size, 20_000);
    await quiesce(2);
    expect(deliveredIds().sort()).toEqual([...expected].sort());
    expect(repeats()).toEqual({});
  });

  it('loses nothing when killed -9 while draining a backlog, and repeats at most what the design allows', async () => {
    const backlog = make.addScenario({ name: 'Backlog' });
    const first = Date.now() - 30 * MINUTE;
    // 2.5 pages of PAGE_LIMIT (100): the receiver reads and hands them on page by page.
    const ids = Array.from({ length: 250 }, (_, i) => make.addExecution(backlog.id, { startMs: first + i * 5_000, status: 1 }).id);
    const ofBacklog = () => delivered().filter((d) => d.resource['make.scenario.id'] === BigInt(backlog.id));
    await until('the backlog starts arriving', () => ofBacklog().length > 0);
    await gateway!.kill9();
    const receivedBeforeRestart = backend.recordCount();
    gateway = await start();
    await until('every backlog execution delivered', () => new Set(ofBacklog().map((d) => d.attributes['make.execution.id'])).size === ids.length);
    await quiesce(backend.recordCount() - receivedBeforeRestart);
    for (const id of ids) expected.add(id);
    expect(new Set(deliveredIds())).toEqual(expected);
    // What may repeat (at-least-once): requests the backend acknowledged just before the kill
    // whose queue rows were not yet deleted, resent on restart and counted as redelivered; and the
    // one page handed on but not yet recorded in the cursor (at most PAGE_LIMIT executions).
    // Nothing outside the backlog repeats.
    const repeated = Object.keys(repeats());
    const redelivered = await metric('gateway_exporter_redelivered_log_records_total', { exporter: 'otlphttp' });
    expect(repeated.filter((id) => !ids.includes(id))).toEqual([]);
    expect(repeated.length).toBeLessThanOrEqual(redelivered + PAGE_LIMIT);
  });

  it('never shows the API token in its logs or its metrics', async () => {
    const metrics = await metricsText();
    expect(metrics).toContain('gateway_make_api_requests_total');
    expect(metrics).not.toContain(TOKEN);
    for (const run of runs) {
      expect(run.stderr()).toContain('everything is ready');
      expect(run.stderr()).not.toContain(TOKEN);
    }
    // The auth failure was logged (so a leak would have had its chance), without the token.
    expect(runs[0].stderr()).toContain(AUTH_HINT);
  });
});
