import { describe, expect, it } from 'vitest';
import { TOKEN_REFRESH_SKEW_MS, TokenCache, TokenError, expiresInMs } from '../../../src/exporters/helper/token-cache.js';

function source(lifetimeMs = 3_600_000) {
  let n = 0;
  const calls = { count: 0 };
  let release: (() => void) | undefined;
  let gate: Promise<void> | undefined;
  return {
    calls,
    hold() {
      gate = new Promise((r) => (release = r));
    },
    release: () => release?.(),
    fetch: async () => {
      calls.count++;
      if (gate) await gate;
      return { token: `t${++n}`, expiresInMs: lifetimeMs };
    },
  };
}

describe('TokenCache', () => {
  it('reuses a token until shortly before it expires, then fetches a new one', async () => {
    let now = 0;
    const src = source(3_600_000);
    const cache = new TokenCache(src.fetch, () => now);
    expect(await cache.get()).toBe('t1');
    now = 3_600_000 - TOKEN_REFRESH_SKEW_MS - 1;
    expect(await cache.get()).toBe('t1');
    now = 3_600_000 - TOKEN_REFRESH_SKEW_MS;
    expect(await cache.get()).toBe('t2');
    expect(src.calls.count).toBe(2);
  });

  it('refreshes a short-lived token at half its lifetime', async () => {
    let now = 0;
    const src = source(10_000);
    const cache = new TokenCache(src.fetch, () => now);
    await cache.get();
    now = 4_999;
    expect(await cache.get()).toBe('t1');
    now = 5_000;
    expect(await cache.get()).toBe('t2');
  });

  it('makes one token request for a burst of concurrent callers', async () => {
    const src = source();
    src.hold();
    const cache = new TokenCache(src.fetch);
    const all = Promise.all([cache.get(), cache.get(), cache.get()]);
    src.release();
    expect(await all).toEqual(['t1', 't1', 't1']);
    expect(src.calls.count).toBe(1);
  });

  it('lets one caller stop waiting without cancelling the fetch the others share', async () => {
    const src = source();
    src.hold();
    const cache = new TokenCache(src.fetch);
    const ac = new AbortController();
    const impatient = cache.get(ac.signal);
    const patient = cache.get();
    ac.abort();
    await expect(impatient).rejects.toMatchObject({ result: { kind: 'retryable' } });
    src.release();
    expect(await patient).toBe('t1');
    expect(src.calls.count).toBe(1);
  });

  it('forgets a token the backend refused, but not a newer one', async () => {
    const src = source();
    const cache = new TokenCache(src.fetch);
    const first = await cache.get();
    cache.invalidate(first);
    const second = await cache.get();
    expect(second).toBe('t2');
    cache.invalidate(first); // a late 401 for the old token
    expect(await cache.get()).toBe('t2');
  });

  it('passes a failure to every waiter and tries again on the next call', async () => {
    let fail = true;
    const cache = new TokenCache(async () => {
      if (fail) throw new TokenError({ kind: 'permanent', reason: 'invalid_client' });
      return { token: 'ok', expiresInMs: 60_000 };
    });
    const results = await Promise.allSettled([cache.get(), cache.get()]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(await cache.get()).toBe('ok');
  });

  it('reads expires_in given as a number or a numeric string', () => {
    expect(expiresInMs(3599)).toBe(3_599_000);
    expect(expiresInMs('3599')).toBe(3_599_000);
    expect(expiresInMs(undefined)).toBe(3_600_000);
  });
});
