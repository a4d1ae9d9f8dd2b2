import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryStorageClient } from '../../../src/extensions/storage.js';
import { AUDIT_PAGE_LIMIT } from '../../../src/receivers/make/audit-logs.js';
import type { MakeReceiver } from '../../../src/receivers/make/receiver.js';
import { FakeMakeApi } from '../../fakes/make-api.js';
import { Sink, TOKEN, linesText, startReceiver, storageHost } from './helpers.js';

describe('make receiver: audit logs', () => {
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
  const config = (audit: Record<string, unknown> = {}) => ({
    api_token: TOKEN, base_url: api.baseUrl, organization_id: 21, poll_interval: '1h', requests_per_minute: 6000, storage: 'file_storage',
    audit_logs: { enabled: true, ...audit },
  });
  const audits = (sink: Sink) => sink.records().filter((r) => r.record.eventName.startsWith('make.audit.'));
  async function start(raw: Record<string, unknown>, sink: Sink, storage = new MemoryStorageClient()) {
    const h = await startReceiver(raw, sink, storageHost(storage));
    running.push(h.receiver);
    return h;
  }

  it('maps each entry to one record: event name, actor id, team, target, versions, triggeredAt and createdAt', async () => {
    const t = Date.parse(new Date(Date.now() - 10 * 60_000).toISOString());
    const e = api.ops.addAuditLog({ triggeredMs: t, eventName: 'scenario_blueprint_updated', targetId: '4711', version: { from: '3', to: '4' } });
    const sink = new Sink();
    const { receiver } = await start(config(), sink);
    await receiver.pollNow();
    const [r] = audits(sink);
    expect(r.record.eventName).toBe('make.audit.scenario_blueprint_updated');
    expect(r.record.timeUnixNano).toBe(BigInt(t) * 1_000_000n);
    expect(r.record.observedTimeUnixNano).toBe(BigInt(Date.parse(e.createdAt)) * 1_000_000n);
    expect(r.attributes).toEqual({
      'make.audit.uuid': e.uuid, 'make.audit.event': 'scenario_blueprint_updated', 'make.audit.actor.id': 5n, 'make.team.id': 27n, 'make.team.name': 'Team 27',
      'make.audit.target_id': '4711', 'make.audit.version.from': '3', 'make.audit.version.to': '4',
    });
    expect(r.resource).toMatchObject({ 'service.name': 'make', 'make.organization.id': 21n });
    const req = api.requests.find((x) => x.path.endsWith('/audit-logs/v2/organization/21'))!;
    expect(req.query).toMatchObject({ 'pg[sortBy]': 'triggeredAt', 'pg[sortDir]': 'asc', 'pg[limit]': String(AUDIT_PAGE_LIMIT) });
    expect(Number(req.query.dateFrom)).toBeLessThan(t);
  });

  it('keeps actor name and email out unless include_actor_identity, and always for an anonymized actor', async () => {
    api.ops.addAuditLog({ triggeredMs: Date.now() - 60_000 });
    api.ops.addAuditLog({ triggeredMs: Date.now() - 50_000, actor: { id: 6, anonymized: true } });
    const off = new Sink();
    await (await start(config(), off)).receiver.pollNow();
    expect(audits(off).flatMap((r) => Object.values(r.attributes).map(String)).join(' ')).not.toMatch(/Jane|jane@/);
    expect(audits(off)).toHaveLength(2);
    const on = new Sink();
    await (await start(config({ include_actor_identity: true }), on)).receiver.pollNow();
    const [named, anon] = audits(on);
    expect(named.attributes).toMatchObject({ 'make.audit.actor.name': 'Jane Doe', 'make.audit.actor.email': 'jane@example.com' });
    expect(anon.attributes).toMatchObject({ 'make.audit.actor.id': 6n, 'make.audit.actor.anonymized': true });
    expect(anon.attributes['make.audit.actor.name']).toBeUndefined();
  });

  it('pages with pg[last] and delivers every entry exactly once across a restart', async () => {
    const base = Date.now() - 3 * 3_600_000;
    const all = Array.from({ length: AUDIT_PAGE_LIMIT + 120 }, (_, i) => api.ops.addAuditLog({ triggeredMs: base + i * 1000 }).uuid);
    const storage = new MemoryStorageClient();
    const sink = new Sink();
    const first = await start(config(), sink, storage);
    await first.receiver.pollNow();
    expect(api.requests.some((r) => r.query['pg[last]'] !== undefined)).toBe(true);
    await first.receiver.shutdown();
    const later = Array.from({ length: 5 }, (_, i) => api.ops.addAuditLog({ triggeredMs: Date.now() - 5000 + i }).uuid);
    const second = await start(config(), sink, storage);
    await second.receiver.pollNow();
    await second.receiver.pollNow();
    const got = audits(sink).map((r) => r.attributes['make.audit.uuid']);
    expect(got).toHaveLength(all.length + later.length);
    expect(new Set(got)).toEqual(new Set([...all, ...later]));
  });

  it('delivers an entry stored late under an earlier triggeredAt', async () => {
    const sink = new Sink();
    const { receiver } = await start(config(), sink);
    api.ops.addAuditLog({ triggeredMs: Date.now() - 2000 });
    await receiver.pollNow();
    const late = api.ops.addAuditLog({ triggeredMs: Date.now() - 120_000, storedDelayMs: 0 });
    await receiver.pollNow();
    expect(audits(sink).map((r) => r.attributes['make.audit.uuid'])).toContain(late.uuid);
    expect(audits(sink)).toHaveLength(2);
  });

  it('keeps only the configured events', async () => {
    api.ops.addAuditLog({ triggeredMs: Date.now() - 3000, eventName: 'scenario_created' });
    api.ops.addAuditLog({ triggeredMs: Date.now() - 2000, eventName: 'connection_updated' });
    const sink = new Sink();
    await (await start(config({ events: ['scenario_created'] }), sink)).receiver.pollNow();
    expect(audits(sink).map((r) => r.record.eventName)).toEqual(['make.audit.scenario_created']);
  });

  it('on 403 (no audit logs in the license) warns once, disables audit logs and keeps polling executions', async () => {
    api.ops.auditLogsLicensed = false;
    const s = api.addScenario();
    const sink = new Sink();
    const { receiver, logger } = await start(config(), sink);
    await receiver.pollNow();
    await receiver.pollNow();
    await receiver.pollNow();
    const auditCalls = api.requests.filter((r) => r.path.includes('/audit-logs/'));
    expect(auditCalls).toHaveLength(1);
    const warnings = logger.lines.filter((l) => l.level === 'warn' && /audit logs are not available/.test(l.msg));
    expect(warnings).toHaveLength(1);
    expect(warnings[0].msg).toMatch(/audit-logs:read/);
    expect(linesText(logger.lines)).not.toContain(TOKEN);
    api.addExecution(s.id, { startMs: Date.now() - 60_000 });
    await receiver.pollNow();
    expect(sink.records().filter((r) => r.record.eventName === 'make.scenario.execution')).toHaveLength(1);
  });

  it('reads a team\'s audit logs when audit_logs.team_id is set', async () => {
    api.ops.addAuditLog({ triggeredMs: Date.now() - 3000 });
    const sink = new Sink();
    await (await start(config({ team_id: 27 }), sink)).receiver.pollNow();
    expect(api.requests.some((r) => r.path.endsWith('/audit-logs/v2/team/27'))).toBe(true);
    expect(audits(sink)).toHaveLength(1);
  });
});
