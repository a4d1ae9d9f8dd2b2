import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RetryableError } from '../../../src/errors.js';
import { MemoryStorageClient } from '../../../src/extensions/storage.js';
import type { MakeReceiver } from '../../../src/receivers/make/receiver.js';
import { FakeMakeApi } from '../../fakes/make-api.js';
import { Sink, TOKEN, startReceiver, storageHost } from './helpers.js';

describe('make receiver: incomplete executions', () => {
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
  const config = () => ({
    api_token: TOKEN, base_url: api.baseUrl, team_id: 27, organization_id: 21, poll_interval: '1h', requests_per_minute: 6000, storage: 'file_storage',
    incomplete_executions: { enabled: true },
  });
  const dlqRecords = (sink: Sink) => sink.records().filter((r) => r.record.eventName.startsWith('make.incomplete_execution'));
  async function start(sink: Sink, storage = new MemoryStorageClient()) {
    const h = await startReceiver(config(), sink, storageHost(storage));
    running.push(h.receiver);
    return h;
  }

  it('emits a record per new incomplete execution with id, reason, attempts, size, retry and resolved', async () => {
    const s = api.addScenario({ name: 'Order sync' });
    const d = api.ops.addIncompleteExecution(s.id, { attempts: 2, size: 1024, retry: true });
    const sink = new Sink();
    const { receiver, telemetry } = await start(sink);
    await receiver.pollNow();
    await receiver.pollNow();
    const [r, ...rest] = dlqRecords(sink);
    expect(rest).toEqual([]);
    expect(r.record.eventName).toBe('make.incomplete_execution');
    expect([r.record.severityNumber, r.record.severityText]).toEqual([13, 'WARN']);
    expect(r.record.timeUnixNano).toBe(BigInt(Date.parse(d.created)) * 1_000_000n);
    expect(r.attributes).toEqual({
      'make.incomplete_execution.id': d.id, 'make.incomplete_execution.reason': d.reason, 'make.incomplete_execution.attempts': 2n,
      'make.incomplete_execution.size': 1024n, 'make.incomplete_execution.retry': true, 'make.incomplete_execution.resolved': false, 'make.execution.id': d.executionId,
    });
    expect(r.resource).toMatchObject({ 'make.scenario.id': BigInt(s.id), 'make.scenario.name': 'Order sync' });
    expect(await telemetry.metrics()).toContain(`gateway_make_incomplete_executions_open{receiver="make",scenario_id="${s.id}"} 1`);
    expect(api.requests.find((x) => x.path.endsWith('/dlqs'))!.query).toMatchObject({ scenarioId: String(s.id) });
  });

  it('emits a resolved record when Make marks it resolved or it disappears, and the gauge falls', async () => {
    const s = api.addScenario();
    const a = api.ops.addIncompleteExecution(s.id);
    const b = api.ops.addIncompleteExecution(s.id);
    const sink = new Sink();
    const { receiver, telemetry } = await start(sink);
    await receiver.pollNow();
    api.ops.resolveIncompleteExecution(s.id, a.id);
    api.ops.resolveIncompleteExecution(s.id, b.id, 'deleted');
    await receiver.pollNow();
    await receiver.pollNow();
    const resolved = dlqRecords(sink).filter((r) => r.record.eventName === 'make.incomplete_execution.resolved');
    expect(resolved.map((r) => r.attributes['make.incomplete_execution.id']).sort()).toEqual([a.id, b.id].sort());
    expect(resolved.every((r) => r.attributes['make.incomplete_execution.resolved'] === true)).toBe(true);
    expect(await telemetry.metrics()).toContain(`gateway_make_incomplete_executions_open{receiver="make",scenario_id="${s.id}"} 0`);
  });

  it('neither repeats nor loses a record across a restart (state in storage)', async () => {
    const s = api.addScenario();
    const a = api.ops.addIncompleteExecution(s.id);
    const storage = new MemoryStorageClient();
    const sink = new Sink();
    const first = await start(sink, storage);
    await first.receiver.pollNow();
    await first.receiver.shutdown();
    api.ops.resolveIncompleteExecution(s.id, a.id);
    const b = api.ops.addIncompleteExecution(s.id);
    const second = await start(sink, storage);
    await second.receiver.pollNow();
    expect(dlqRecords(sink).map((r) => [r.record.eventName, r.attributes['make.incomplete_execution.id']])).toEqual([
      ['make.incomplete_execution', a.id],
      ['make.incomplete_execution', b.id],
      ['make.incomplete_execution.resolved', a.id],
    ]);
  });

  it('keeps the state when downstream refuses, and reports on the next poll', async () => {
    const s = api.addScenario();
    api.ops.addIncompleteExecution(s.id);
    const sink = new Sink();
    sink.refuseNext(new RetryableError('queue full'));
    const { receiver, logger } = await start(sink);
    await receiver.pollNow();
    await receiver.pollNow();
    expect(logger.lines.some((l) => l.level === 'warn' && /incomplete executions failed/.test(l.msg) && /queue full/.test(String(l.attrs.error)))).toBe(true);
    expect(dlqRecords(sink)).toHaveLength(1);
  });
});
