import { afterEach, describe, expect, it } from 'vitest';
import { FakeMakeApi } from '../../fakes/make-api.js';
import { Sink, TOKEN, startReceiver, storageHost } from './helpers.js';
import type { MakeReceiver } from '../../../src/receivers/make/receiver.js';

/**
 * What this proves, honestly: the receiver spaces its calls so that no sliding window holds more
 * than the organization's limit, with that limit actually binding: the fake answers 429 to any
 * excess, and unpaced, the same drain put ~80 of its ~140 calls into one window (measured on the
 * 2-core dev machine), twice the limit. Time is
 * scaled: the limit applies per 1 s window instead of per minute (test-only `rateWindowMs`), so
 * the same spacing logic runs 60 times faster. It does not prove behaviour against Make's real
 * clock or its exact counting.
 */
const WINDOW_MS = 1000;
const LIMIT_PER_WINDOW = 40;

describe('make receiver: draining a backlog', () => {
  let api: FakeMakeApi;
  let receiver: MakeReceiver | undefined;
  afterEach(async () => {
    await receiver?.shutdown();
    await api.close();
  });

  it('drains 10,000 executions across 20 scenarios exactly once without exceeding the rate budget', async () => {
    api = new FakeMakeApi({ token: TOKEN, organizationId: 21, apiLimit: LIMIT_PER_WINDOW, rateWindowMs: WINDOW_MS });
    await api.start();
    const expected = new Set<string>();
    const base = Date.now() - 20 * 3_600_000;
    for (let s = 0; s < 20; s++) {
      const scenario = api.addScenario();
      for (let i = 0; i < 500; i++) expected.add(api.addExecution(scenario.id, { startMs: base + i * 60_000 + s }).id);
    }
    const sink = new Sink();
    // No requests_per_minute: the organization's license.apiLimit sets the budget.
    const h = await startReceiver(
      { api_token: TOKEN, base_url: api.baseUrl, organization_id: 21, poll_interval: '1h' },
      sink,
      storageHost(),
      { rateWindowMs: WINDOW_MS },
    );
    receiver = h.receiver;
    await receiver.pollNow();

    const got = sink.records().map((r) => r.attributes['make.execution.id'] as string);
    expect(got.length).toBe(10_000);
    expect(new Set(got)).toEqual(expected);
    expect(api.requests.filter((r) => r.status !== 200)).toEqual([]);
    expect(api.requests.length).toBeGreaterThan(LIMIT_PER_WINDOW * 2); // the budget was binding
    expect(api.maxRequestsInWindow(WINDOW_MS)).toBeLessThanOrEqual(LIMIT_PER_WINDOW);
    expect(await h.telemetry.metrics()).toMatch(/gateway_make_executions_ingested_total\{receiver="make",scenario_id="\d+"\} 500/);
  });
});
