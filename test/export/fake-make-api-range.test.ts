import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeMakeApi } from '../fakes/make-api.js';
import { DAY_MS, END_MS, TOKEN } from './harness.js';

/** The fake's range contract, which the export tests rely on: it must refuse what Make refuses. */
let api: FakeMakeApi;
beforeAll(async () => {
  api = new FakeMakeApi({ token: TOKEN });
  await api.start();
  api.seedHistory({ scenarios: 5, days: 7, everyMs: 3 * 3_600_000, endMs: END_MS });
});
afterAll(() => api.close());

const get = async (path: string) => {
  const res = await fetch(api.baseUrl + path, { headers: { authorization: `Token ${TOKEN}` } });
  return { status: res.status, body: (await res.json()) as { scenarioLogs?: { id: string; imtId: string; timestamp: string; status: number }[]; detail?: string } };
};

describe('fake Make API: ranges', () => {
  it('holds five scenarios with all three statuses over seven days', () => {
    const all = api.allExecutions();
    expect(new Set(all.map((e) => e.scenarioId)).size).toBe(5);
    for (const sid of [100, 101, 102, 103, 104]) expect(new Set(all.filter((e) => e.scenarioId === sid).map((e) => e.status))).toEqual(new Set([1, 2, 3]));
    const times = all.map((e) => Date.parse(e.timestamp));
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThan(6 * DAY_MS);
  });

  it('bounds logs by from and to (inclusive, on the start time) and pages ascending with pg[last]', async () => {
    const from = END_MS - 3 * DAY_MS;
    const to = END_MS - DAY_MS;
    const seen: string[] = [];
    let last: string | undefined;
    for (;;) {
      const res = await get(`/scenarios/100/logs?from=${from}&to=${to}&pg[sortDir]=asc&pg[limit]=5${last ? `&pg[last]=${encodeURIComponent(last)}` : ''}`);
      expect(res.status).toBe(200);
      const page = res.body.scenarioLogs!;
      for (const e of page) {
        const t = Date.parse(e.timestamp);
        expect(t).toBeGreaterThanOrEqual(from);
        expect(t).toBeLessThanOrEqual(to);
        if (seen.length) expect(e.imtId > seen[seen.length - 1]).toBe(true);
        seen.push(e.imtId);
      }
      if (page.length < 5) break;
      last = page[page.length - 1].imtId;
    }
    const want = api.allExecutions().filter((e) => e.scenarioId === 100 && Date.parse(e.timestamp) >= from && Date.parse(e.timestamp) <= to);
    expect(seen).toHaveLength(want.length);
  });

  it('filters by status and refuses statuses and times Make refuses', async () => {
    const errors = await get('/scenarios/101/logs?status=3&pg[limit]=1000');
    expect(errors.body.scenarioLogs!.every((e) => e.status === 3)).toBe(true);
    expect((await get('/scenarios/101/logs?status=0')).status).toBe(400);
    expect((await get('/scenarios/101/logs?to=2026-12-01')).status).toBe(400);
    expect((await get('/scenarios/101/logs?from=-5')).status).toBe(400);
    expect((await get('/scenarios/999/logs')).status).toBe(404);
  });
});
