import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { onAbort } from '../src/abort-hooks.js';
import { Waiters } from '../src/queue/waiters.js';
import { arrayBufferMb, fullGc, scavenge } from './helpers/young-gc.js';

describe('onAbort', () => {
  it('runs each hook still hooked once when the signal aborts, and no unhooked one', () => {
    const controller = new AbortController();
    const ran: string[] = [];
    onAbort(controller.signal, () => ran.push('a'));
    const unhookB = onAbort(controller.signal, () => ran.push('b'));
    onAbort(controller.signal, () => ran.push('c'));
    unhookB();
    unhookB();
    controller.abort();
    controller.abort();
    expect(ran).toEqual(['a', 'c']);
  });

  it('runs the same function twice when it was hooked twice, as two listeners would', () => {
    const controller = new AbortController();
    let calls = 0;
    const fn = () => calls++;
    onAbort(controller.signal, fn);
    onAbort(controller.signal, fn);
    controller.abort();
    expect(calls).toBe(2);
  });

  it('never runs a hook added after the abort, like addEventListener', () => {
    const controller = new AbortController();
    controller.abort();
    let ran = false;
    const unhook = onAbort(controller.signal, () => (ran = true));
    unhook();
    expect(ran).toBe(false);
  });

  it('adds one listener to a long-lived signal, however many hooks come and go', () => {
    const controller = new AbortController();
    for (let i = 0; i < 1000; i++) onAbort(controller.signal, () => {})();
    const live = onAbort(controller.signal, () => {});
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    live();
  });

  it('runs the other hooks when one throws, and still reports the error', async () => {
    const controller = new AbortController();
    const ran: string[] = [];
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.prependListener('uncaughtException', onUncaught);
    try {
      onAbort(controller.signal, () => {
        throw new Error('hook failed');
      });
      onAbort(controller.signal, () => ran.push('second'));
      controller.abort();
      expect(ran).toEqual(['second']);
      await new Promise((r) => setTimeout(r, 10));
      expect(uncaught).toEqual([new Error('hook failed')]);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });
});

describe('waiting on a long-lived stop signal', () => {
  it('lets a scavenge free what parked takers were handed', async () => {
    // A worker's stop signal lives as long as the gateway; requests are handed to parked takers
    // thousands of times a second. Each value here is a 30 KB "request body".
    const stop = new AbortController();
    const waiters = new Waiters<{ body: Uint8Array } | undefined>();
    const workers = Array.from({ length: 10 }, async () => {
      while ((await waiters.wait(stop.signal, undefined)) !== undefined);
    });
    await fullGc(); // the signal, its listener and the workers are old, as in a running gateway
    const baseline = arrayBufferMb();
    for (let i = 0; i < 2000; i++) {
      waiters.resolveOne({ body: new Uint8Array(30_000) });
      await new Promise((r) => setImmediate(r));
    }
    await scavenge();
    // With a listener added and removed per wait, the removed listeners kept each other, and the
    // values their takers were handed, alive until a full GC: about 40 of these 60 MB stayed.
    expect(arrayBufferMb() - baseline).toBeLessThan(5);
    stop.abort();
    await Promise.all(workers);
  });
});
