import type { EventEmitter } from 'node:events';

/**
 * Resolves once `current()` reaches `count`, re-checking on each `event`; rejects after
 * `timeoutMs` with `describe()` in the message (what the fake has seen so far).
 */
export function waitForCount(events: EventEmitter, event: string, current: () => number, count: number, timeoutMs: number, describe: () => string): Promise<void> {
  if (current() >= count) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      events.off(event, check);
      reject(new Error(`${current()} of ${count} records after ${timeoutMs} ms; ${describe()}`));
    }, timeoutMs);
    const check = () => {
      if (current() < count) return;
      clearTimeout(timer);
      events.off(event, check);
      resolve();
    };
    events.on(event, check);
  });
}
