import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RetryableError } from '../../../src/errors.js';
import { MemoryStorageClient } from '../../../src/extensions/storage.js';
import type { MakeReceiver } from '../../../src/receivers/make/receiver.js';
import { FakeMakeApi, type FakeExecution } from '../../fakes/make-api.js';
import { Sink, TOKEN, linesText, startReceiver, storageHost, type FlatRecord, type Harness } from './helpers.js';

const MIN = 60_000;

describe('make receiver: polling the Make API', () => {
  let api: FakeMakeApi;
  const running: MakeReceiver[] = [];

  beforeEach(async () => {
    api = new FakeMakeApi({ token: TOKEN, organizationId: 21, teamIds: [27] });
    await api.start();
  });
  afterEach(async () => {
    for (const r of running.splice(0)) await r.shutdown();
    await api.close();
  });

  const config = (extra: Record<string, unknown> = {}) => ({
    api_token: TOKEN,
    base_url: api.baseUrl,
    team_id: 27,
    poll_interval: '1h', // passes are driven by pollNow()
    requests_per_minute: 6000,
    storage: 'file_storage',
    ...extra,
  });
  async function start(sink: Sink, host = storageHost(), extra: Record<string, unknown> = {}, h: Partial<Harness> = {}): Promise<Harness> {
    const harness = await startReceiver(config(extra), sink, host, { telemetry: h.telemetry, logger: h.logger });
    running.push(harness.receiver);
    return harness;
  }
  const ids = (records: FlatRecord[]) => records.map((r) => r.attributes['make.execution.id'] as string);
  const sorted = (xs: string[]) => [...xs].sort();

  function expectMapped(r: FlatRecord, e: FakeExecution, scenario: { id: number; name: string }) {
    expect(r.resource).toEqual({
      'service.name': 'make',
      'make.organization.id': 21n,
      'make.team.id': 27n,
      'make.scenario.id': BigInt(scenario.id),
      'make.scenario.name': scenario.name,
      'make.zone': '127.0.0.1:' + new URL(api.baseUrl).port,
    });
    const status = ['pending', 'success', 'warning', 'error'][e.status];
    expect(r.attributes).toEqual({
      'make.execution.id': e.id,
      'make.execution.imt_id': e.imtId,
      'make.execution.status': status,
      'make.execution.type': e.type,
      'make.execution.duration_ms': BigInt(e.duration),
      'make.execution.operations': BigInt(e.operations),
      'make.execution.transfer_bytes': BigInt(e.transfer),
      'make.execution.centicredits': BigInt(e.centicredits),
      'make.execution.instant': e.instant,
      ...(e.authorId === null ? {} : { 'make.execution.author_id': BigInt(e.authorId) }),
    });
    expect(r.record.timeUnixNano).toBe(BigInt(Date.parse(e.timestamp)) * 1_000_000n);
    expect(r.record.observedTimeUnixNano).toBeGreaterThan(r.record.timeUnixNano);
    expect(r.record.eventName).toBe('make.scenario.execution');
    expect([r.record.severityNumber, r.record.severityText]).toEqual([[9, 'INFO'], [9, 'INFO'], [13, 'WARN'], [17, 'ERROR']][e.status]);
    expect(r.record.body).toEqual({ stringValue: `Scenario "${scenario.name}" execution ${e.id}: ${status}, ${e.duration} ms, ${e.operations} operations` });
  }

  it('delivers every execution once, with every mapped field, and counts them', async () => {
    const s1 = api.addScenario({ name: 'Order sync' });
    const s2 = api.addScenario({ name: 'Invoice mailer' });
    const execs = [
      [s1, api.addExecution(s1.id, { startMs: Date.now() - 90 * MIN, status: 1 })],
      [s1, api.addExecution(s1.id, { startMs: Date.now() - 30 * MIN, status: 3, type: 'manual', instant: true })],
      [s2, api.addExecution(s2.id, { startMs: Date.now() - 10 * MIN, status: 2 })],
      [s2, api.addExecution(s2.id, { startMs: Date.now() - 25 * 60 * MIN })], // older than initial_lookback
    ] as const;
    const sink = new Sink();
    const { receiver, telemetry } = await start(sink);
    await receiver.pollNow();
    await receiver.pollNow();

    const records = sink.records();
    expect(sorted(ids(records))).toEqual(sorted(execs.slice(0, 3).map(([, e]) => e.id)));
    for (const [s, e] of execs.slice(0, 3)) expectMapped(records.find((r) => r.attributes['make.execution.id'] === e.id)!, e, s);
    const metrics = await telemetry.metrics();
    expect(metrics).toContain(`gateway_make_executions_ingested_total{receiver="make",scenario_id="${s1.id}"} 2`);
    expect(metrics).toContain(`gateway_make_executions_ingested_total{receiver="make",scenario_id="${s2.id}"} 1`);
    // One of s1's two executions ended in error (status 3); s2's did not.
    expect(metrics).toContain(`gateway_make_execution_errors_total{receiver="make",scenario_id="${s1.id}"} 1`);
    expect(metrics).not.toContain(`gateway_make_execution_errors_total{receiver="make",scenario_id="${s2.id}"}`);
    expect(metrics).toMatch(new RegExp(`gateway_make_poll_lag_seconds\\{receiver="make",scenario_id="${s2.id}"\\} 6\\d\\d`));
    expect(metrics).toMatch(/gateway_make_api_requests_total\{receiver="make",status="200"\} \d+/);
    expect(api.requests.every((r) => r.status === 200)).toBe(true);
  });

  it('pages through more executions than one page holds without gaps or repeats', async () => {
    const s = api.addScenario();
    const start0 = Date.now() - 5 * 60 * MIN;
    const execs = Array.from({ length: 250 }, (_, i) => api.addExecution(s.id, { startMs: start0 + Math.floor(i / 3) * 1000 })); // 3 share each start ms
    const sink = new Sink();
    const { receiver } = await start(sink);
    await receiver.pollNow();
    expect(sorted(ids(sink.records()))).toEqual(sorted(execs.map((e) => e.id)));
    const logsCalls = api.requests.filter((r) => r.path.endsWith('/logs'));
    expect(logsCalls.some((r) => r.query['pg[last]'] !== undefined)).toBe(true);
  });

  it('delivers a run that finishes after a poll with an older start time, and a pending run once it finishes', async () => {
    const s = api.addScenario();
    const sink = new Sink();
    const { receiver } = await start(sink);
    const early = api.addExecution(s.id, { startMs: Date.now() - 2 * MIN });
    const pending = api.addExecution(s.id, { startMs: Date.now() - 20 * MIN, status: 0 });
    await receiver.pollNow();
    expect(ids(sink.records())).toEqual([early.id]);

    const late = api.addExecution(s.id, { startMs: Date.now() - 15 * MIN, status: 3 }); // older than `early`
    api.updateExecution(s.id, pending.id, { status: 2 });
    await receiver.pollNow();
    await receiver.pollNow();
    const records = sink.records();
    expect(sorted(ids(records))).toEqual(sorted([early.id, pending.id, late.id]));
    expect(records.find((r) => r.attributes['make.execution.id'] === pending.id)!.attributes['make.execution.status']).toBe('warning');
  });

  it('after a restart with the same storage, delivers only what is new, including late runs, each once', async () => {
    const s1 = api.addScenario();
    const s2 = api.addScenario();
    const before = [api.addExecution(s1.id, { startMs: Date.now() - 40 * MIN }), api.addExecution(s2.id, { startMs: Date.now() - 3 * MIN })];
    const sink = new Sink();
    const storage = new MemoryStorageClient();
    const first = await start(sink, storageHost(storage));
    await first.receiver.pollNow();
    await first.receiver.shutdown();

    // While the gateway is down: new runs, one of them started before the last poll.
    const during = [
      api.addExecution(s1.id, { startMs: Date.now() - 10 * MIN }),
      api.addExecution(s2.id, { startMs: Date.now() }),
      api.addExecution(s2.id, { startMs: Date.now() - 35 * MIN }), // within Make's 40-minute run limit
    ];
    const second = await start(sink, storageHost(storage));
    await second.receiver.pollNow();
    await second.receiver.pollNow();
    const got = ids(sink.records());
    expect(sorted(got)).toEqual(sorted([...before, ...during].map((e) => e.id)));
    expect(new Set(got).size).toBe(got.length);
  });

  it('keeps the cursor when downstream refuses, and delivers the same executions on a later poll', async () => {
    const s = api.addScenario();
    const execs = [api.addExecution(s.id, { startMs: Date.now() - 5 * MIN }), api.addExecution(s.id, { startMs: Date.now() - 4 * MIN })];
    const sink = new Sink();
    sink.refuseNext(new RetryableError('queue full', 0, 'QUEUE_FULL'));
    const storage = new MemoryStorageClient();
    const { receiver, logger } = await start(sink, storageHost(storage));
    await receiver.pollNow();
    expect(logger.lines.some((l) => l.level === 'warn' && /downstream refused/.test(l.msg))).toBe(true);
    await receiver.pollNow();
    expect(sorted(ids(sink.records()))).toEqual(sorted(execs.map((e) => e.id)));
    expect(await storage.get(`scenario/${s.id}/cursor`)).toContain(execs[1].id);
  });

  it('waits out a 429 (Retry-After) and then carries on', async () => {
    const s = api.addScenario();
    const e = api.addExecution(s.id, { startMs: Date.now() - MIN });
    const sink = new Sink();
    api.failNextWith429(1);
    const { receiver, telemetry, logger } = await start(sink);
    await receiver.pollNow();
    expect(ids(sink.records())).toEqual([e.id]);
    const statuses = api.requests.map((r) => r.status);
    expect(statuses[0]).toBe(429);
    expect(statuses.slice(1).every((st) => st === 200)).toBe(true);
    // The retry came after the Retry-After second.
    expect(api.requests[1].at - api.requests[0].at).toBeGreaterThanOrEqual(990);
    expect(await telemetry.metrics()).toContain('gateway_make_api_requests_total{receiver="make",status="429"} 1');
    expect(logger.lines.some((l) => l.level === 'warn' && /rate limit/.test(l.msg))).toBe(true);
  });

  it('backs off exponentially on a 429 without Retry-After', async () => {
    const s = api.addScenario();
    api.addExecution(s.id, { startMs: Date.now() - MIN });
    const sink = new Sink();
    api.failNextWith429();
    const harness = await startReceiver(config(), sink, storageHost(), { backoffInitialMs: 50 });
    running.push(harness.receiver);
    await harness.receiver.pollNow();
    expect(sink.records()).toHaveLength(1);
    expect(api.requests[1].at - api.requests[0].at).toBeGreaterThanOrEqual(45);
  });

  it('logs a 401 on one scenario without the token, counts it, and keeps polling the others', async () => {
    const denied = api.addScenario({ name: 'Denied' });
    const fine = api.addScenario({ name: 'Fine' });
    api.addExecution(denied.id, { startMs: Date.now() - MIN });
    const ok = api.addExecution(fine.id, { startMs: Date.now() - MIN });
    api.failScenarioLogs(denied.id, 401);
    const sink = new Sink();
    const { receiver, telemetry, logger } = await start(sink);
    await receiver.pollNow();

    expect(ids(sink.records())).toEqual([ok.id]);
    const warn = logger.lines.find((l) => l.level === 'warn' && l.attrs.scenario_id === denied.id)!;
    expect(warn.msg).toMatch(/api_token/);
    expect(warn.attrs.status).toBe('401');
    const metrics = await telemetry.metrics();
    expect(metrics).toMatch(/gateway_make_api_requests_total\{receiver="make",status="401"\} [1-9]/);
    expect(linesText(logger.lines)).not.toContain(TOKEN);
    expect(metrics).not.toContain(TOKEN);

    api.failScenarioLogs(denied.id, undefined);
    await receiver.pollNow();
    expect(sink.records()).toHaveLength(2);
  });

  it('never puts the token in logs, errors or metrics, also when the whole token is refused', async () => {
    api.addScenario();
    const sink = new Sink();
    const { receiver, telemetry, logger } = await startReceiver({ ...config(), api_token: TOKEN + '-wrong' }, sink, storageHost());
    running.push(receiver);
    await receiver.pollNow();
    expect(api.requests[0].status).toBe(401);
    const warn = logger.lines.find((l) => l.level === 'warn')!;
    expect(warn.msg).toMatch(/listing scenarios failed/);
    expect(String(warn.attrs.error)).toMatch(/HTTP 401 Access denied\. \(SC401\)/);
    const everything = linesText(logger.lines) + (await telemetry.metrics());
    expect(everything).not.toContain(TOKEN);
  });

  it('logs a network failure as one warning, and counts it as "network"', async () => {
    const sink = new Sink();
    const closed = api.baseUrl;
    await api.close(); // nothing listens there now
    const { receiver, telemetry, logger } = await startReceiver({ ...config(), base_url: closed }, sink, storageHost());
    running.push(receiver);
    await receiver.pollNow();
    const warns = logger.lines.filter((l) => l.level === 'warn');
    expect(warns.length).toBeGreaterThanOrEqual(1);
    expect(warns[0].attrs.status).toBe('network');
    expect(String(warns[0].attrs.error)).toMatch(/network error/);
    const metrics = await telemetry.metrics();
    expect(metrics).toMatch(/gateway_make_api_requests_total\{receiver="make",status="network"\} [1-9]/);
    expect(linesText(logger.lines) + metrics).not.toContain(TOKEN);
  });

  it('picks up new scenarios and drops deleted ones on every poll', async () => {
    const a = api.addScenario();
    const sink = new Sink();
    const { receiver } = await start(sink);
    await receiver.pollNow();
    const b = api.addScenario();
    const eb = api.addExecution(b.id, { startMs: Date.now() - MIN });
    api.removeScenario(a.id);
    const before = api.requests.length;
    await receiver.pollNow();
    expect(ids(sink.records())).toEqual([eb.id]);
    const paths = api.requests.slice(before).map((r) => r.path);
    expect(paths).toContain(`/api/v2/scenarios/${b.id}/logs`);
    expect(paths).not.toContain(`/api/v2/scenarios/${a.id}/logs`);
    expect(api.requests.every((r) => r.status === 200)).toBe(true);
  });

  it('polls only the scenarios listed in `scenarios`, listing by organization when no team is set', async () => {
    const a = api.addScenario();
    const b = api.addScenario();
    api.addExecution(a.id, { startMs: Date.now() - MIN });
    const eb = api.addExecution(b.id, { startMs: Date.now() - MIN });
    const sink = new Sink();
    const { receiver } = await start(sink, storageHost(), { team_id: undefined, organization_id: 21, scenarios: [b.id] });
    await receiver.pollNow();
    expect(ids(sink.records())).toEqual([eb.id]);
    expect(api.requests.find((r) => r.path === '/api/v2/scenarios')!.query).toMatchObject({ organizationId: '21' });
    expect(api.requests.some((r) => r.path === `/api/v2/scenarios/${a.id}/logs`)).toBe(false);
  });

  it("uses the organization's apiLimit when requests_per_minute is not set", async () => {
    await api.close();
    api = new FakeMakeApi({ token: TOKEN, organizationId: 21, apiLimit: 240 });
    await api.start();
    const sink = new Sink();
    const { receiver, logger } = await start(sink, storageHost(), { requests_per_minute: undefined, organization_id: 21 });
    await receiver.pollNow();
    expect(api.requests[0].path).toBe('/api/v2/organizations/21');
    expect(logger.lines.find((l) => l.msg === 'make receiver polling')!.attrs.requests_per_minute).toBe(240);
  });

  it('fails to start when storage names no storage extension', async () => {
    const cfg = (await import('../../../src/receivers/make/config.js')).makeConfigSchema.parse(config({ storage: 'file_storage/missing' }));
    const { MakeReceiver } = await import('../../../src/receivers/make/receiver.js');
    const { Telemetry } = await import('../../../src/telemetry/telemetry.js');
    const { silentLogger } = await import('../../../src/telemetry/logger.js');
    const r = new MakeReceiver({ id: 'make', telemetry: new Telemetry({ processMetrics: false }), logger: silentLogger }, cfg, new Sink());
    await expect(r.start(storageHost())).rejects.toThrow(/storage "file_storage\/missing"/);
    await r.shutdown();
  });
});
