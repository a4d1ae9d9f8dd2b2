import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeMakeApi } from '../../fakes/make-api.js';
import { TOKEN } from './helpers.js';

/** The fake is only useful if it refuses what Make refuses; these pin its contract. */
describe('fake Make API', () => {
  let api: FakeMakeApi;
  beforeEach(async () => {
    api = new FakeMakeApi({ token: TOKEN, organizationId: 21, apiLimit: 3, rateWindowMs: 60_000 });
    await api.start();
  });
  afterEach(() => api.close());

  const get = async (path: string, auth = `Token ${TOKEN}`) => {
    const res = await fetch(api.baseUrl + path, { headers: { authorization: auth } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it("answers 401 with Make's error body without the right Token header", async () => {
    const res = await get('/scenarios?teamId=27', `Bearer ${TOKEN}`);
    expect(res.status).toBe(401);
    expect(Object.keys(res.body).sort()).toEqual(['code', 'detail', 'message']);
  });

  it('refuses unknown query parameters with 400', async () => {
    const s = api.addScenario();
    const res = await get(`/scenarios/${s.id}/logs?pg[limt]=10`);
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/pg\[limt\]/);
  });

  it('lists logs newest first by default and pages with pg[last]', async () => {
    const s = api.addScenario();
    const a = api.addExecution(s.id, { startMs: 1_000_000 });
    const b = api.addExecution(s.id, { startMs: 2_000_000 });
    const first = await get(`/scenarios/${s.id}/logs?pg[limit]=1`);
    expect((first.body.scenarioLogs as { id: string }[]).map((e) => e.id)).toEqual([b.id]);
    expect(first.body.pg).toEqual({ sortBy: 'imtId', sortDir: 'desc', showLast: false, limit: 1 });
    const next = await get(`/scenarios/${s.id}/logs?pg[limit]=1&pg[last]=${encodeURIComponent(b.imtId)}`);
    expect((next.body.scenarioLogs as { id: string }[]).map((e) => e.id)).toEqual([a.id]);
  });

  it('answers 429 "Requests limit for organization exceeded" past the limit per window', async () => {
    for (let i = 0; i < 3; i++) expect((await get('/organizations/21')).status).toBe(200);
    const over = await get('/organizations/21');
    expect(over.status).toBe(429);
    expect(over.body.message).toBe('Requests limit for organization exceeded');
  });
});
