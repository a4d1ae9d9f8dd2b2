import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeMakeApi } from '../../fakes/make-api.js';
import { TOKEN } from './helpers.js';

/** The fake's audit-log and incomplete-execution calls refuse what Make refuses. */
describe('fake Make API: audit logs and incomplete executions', () => {
  let api: FakeMakeApi;
  beforeEach(async () => {
    api = new FakeMakeApi({ token: TOKEN, organizationId: 21, teamIds: [27] });
    await api.start();
  });
  afterEach(() => api.close());

  const get = async (path: string) => {
    const res = await fetch(api.baseUrl + path, { headers: { authorization: `Token ${TOKEN}` } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const uuids = (body: Record<string, unknown>) => (body.auditLogs as { uuid: string }[]).map((e) => e.uuid);

  it('lists audit logs by triggeredAt ascending and pages with pg[last] = the last imtId', async () => {
    const t = Date.now() - 60_000;
    const [a, b, c] = [3, 1, 2].map((k) => api.ops.addAuditLog({ triggeredMs: t + k * 1000 }));
    const first = await get('/audit-logs/v2/organization/21?pg[sortBy]=triggeredAt&pg[sortDir]=asc&pg[limit]=2');
    expect(first.status).toBe(200);
    expect(uuids(first.body)).toEqual([b.uuid, c.uuid]);
    const last = (first.body.auditLogs as { imtId: string }[])[1].imtId;
    const next = await get(`/audit-logs/v2/organization/21?pg[sortBy]=triggeredAt&pg[sortDir]=asc&pg[limit]=2&pg[last]=${encodeURIComponent(last)}`);
    expect(uuids(next.body)).toEqual([a.uuid]);
  });

  it('filters by dateFrom/dateTo (epoch ms or ISO) and lists a team only its own entries', async () => {
    const t = Date.parse('2026-05-01T00:00:00Z');
    const early = api.ops.addAuditLog({ triggeredMs: t });
    const late = api.ops.addAuditLog({ triggeredMs: t + 3_600_000, team: { id: 99, name: 'Other' } });
    expect(uuids((await get(`/audit-logs/v2/organization/21?dateFrom=${t + 1}`)).body)).toEqual([late.uuid]);
    expect(uuids((await get('/audit-logs/v2/organization/21?dateTo=2026-05-01T00:30:00Z')).body)).toEqual([early.uuid]);
    expect(uuids((await get('/audit-logs/v2/team/27')).body)).toEqual([early.uuid]);
    expect((await get('/audit-logs/v2/organization/21?dateFrom=yesterday')).status).toBe(400);
  });

  it('refuses with 403 when the license has no audit logs, or another organization', async () => {
    expect((await get('/audit-logs/v2/organization/22')).status).toBe(403);
    api.ops.auditLogsLicensed = false;
    const res = await get('/audit-logs/v2/organization/21');
    expect(res.status).toBe(403);
    expect(Object.keys(res.body).sort()).toEqual(['code', 'detail', 'message']);
  });

  it('refuses unknown parameters, a pg[last] that is not in the listing, and the old path', async () => {
    expect((await get('/audit-logs/v2/organization/21?from=1')).status).toBe(400);
    expect((await get('/audit-logs/v2/organization/21?pg[last]=nope')).status).toBe(400);
    expect((await get('/audit-logs/organization/21')).status).toBe(404);
  });

  it('does not list an entry before it is stored (createdAt in the future)', async () => {
    api.ops.addAuditLog({ triggeredMs: Date.now() - 1000, storedDelayMs: 60_000 });
    expect(uuids((await get('/audit-logs/v2/organization/21')).body)).toEqual([]);
  });

  it('lists incomplete executions per scenario, requires scenarioId, and shows resolution', async () => {
    const s = api.addScenario();
    const d = api.ops.addIncompleteExecution(s.id);
    expect((await get('/dlqs')).status).toBe(400);
    expect((await get('/dlqs?scenarioId=999999')).status).toBe(404);
    expect((await get(`/dlqs?scenarioId=${s.id}&teamId=27`)).status).toBe(400);
    const open = await get(`/dlqs?scenarioId=${s.id}`);
    expect(open.body.dlqs).toEqual([expect.objectContaining({ id: d.id, resolved: false, attempts: 0, size: 512, retry: false })]);
    api.ops.resolveIncompleteExecution(s.id, d.id);
    expect(((await get(`/dlqs?scenarioId=${s.id}`)).body.dlqs as { resolved: boolean }[])[0].resolved).toBe(true);
    api.ops.resolveIncompleteExecution(s.id, d.id, 'deleted');
    expect((await get(`/dlqs?scenarioId=${s.id}`)).body.dlqs).toEqual([]);
  });
});
