import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryStorageClient } from '../../../src/extensions/storage.js';
import type { Logs } from '../../../src/pdata/model.js';
import type { MakeReceiver } from '../../../src/receivers/make/receiver.js';
import { FakeMakeApi } from '../../fakes/make-api.js';
import { Sink, TOKEN, startReceiver, storageHost } from './helpers.js';

const MIN = 60_000;

/** Cursor durability at the awkward moments: mid-backlog shutdown, a lost cursor write, the timer. */
describe('make receiver: cursor durability', () => {
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
    api_token: TOKEN, base_url: api.baseUrl, team_id: 27, poll_interval: '1h', requests_per_minute: 6000, storage: 'file_storage', ...extra,
  });
  const ids = (sink: Sink) => sink.records().map((r) => r.attributes['make.execution.id'] as string);

  it('resumes a backlog interrupted by shutdown at a page boundary without losing or repeating one', async () => {
    const s = api.addScenario();
    const base = Date.now() - 10 * 3_600_000;
    const all = Array.from({ length: 450 }, (_, i) => api.addExecution(s.id, { startMs: base + i * 1000 }).id);
    const storage = new MemoryStorageClient();
    const sink = new Sink();
    let first: MakeReceiver | undefined;
    // Shut down while the third page is being consumed downstream.
    const stopping = new (class extends Sink {
      override async consume(logs: Logs) {
        await sink.consume(logs);
        if (sink.accepted.length === 3) void first!.shutdown();
      }
    })();
    first = (await startReceiver(config(), stopping, storageHost(storage))).receiver;
    await first.pollNow().catch(() => {});
    await first.shutdown();
    expect(ids(sink).length).toBe(300);

    const second = (await startReceiver(config(), sink, storageHost(storage))).receiver;
    running.push(second);
    await second.pollNow();
    const got = ids(sink);
    expect(got.length).toBe(all.length);
    expect(new Set(got)).toEqual(new Set(all));
  });

  it('repeats at most the one page whose cursor write failed, and loses nothing', async () => {
    const s = api.addScenario();
    const base = Date.now() - 5 * 3_600_000;
    const all = Array.from({ length: 250 }, (_, i) => api.addExecution(s.id, { startMs: base + i * 1000 }).id);
    const storage = new MemoryStorageClient();
    let writes = 0;
    const flaky = Object.assign(Object.create(storage) as MemoryStorageClient, {
      set: async (k: string, v: string) => {
        if (++writes === 2) throw new Error('disk full');
        await storage.set(k, v);
      },
    });
    const sink = new Sink();
    const { receiver, logger } = await startReceiver(config(), sink, storageHost(flaky));
    running.push(receiver);
    await receiver.pollNow();
    await receiver.pollNow();
    const got = ids(sink);
    expect(new Set(got)).toEqual(new Set(all));
    expect(got.length - all.length).toBeLessThanOrEqual(100); // PAGE_LIMIT
    expect(logger.lines.some((l) => l.level === 'warn' && /storing the Make cursor failed/.test(l.msg))).toBe(true);
  });

  it('polls again every poll_interval without being asked', async () => {
    const s = api.addScenario();
    const sink = new Sink();
    const { receiver } = await startReceiver(config({ poll_interval: '1s' }), sink, storageHost());
    running.push(receiver);
    const e = api.addExecution(s.id, { startMs: Date.now() - MIN });
    await vi.waitFor(() => expect(ids(sink)).toEqual([e.id]), { timeout: 10_000, interval: 50 });
  });

  it('shuts down idempotently', async () => {
    const { receiver } = await startReceiver(config(), new Sink(), storageHost());
    await receiver.shutdown();
    await expect(receiver.shutdown()).resolves.toBeUndefined();
  });
});
