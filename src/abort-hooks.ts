/**
 * `onAbort(signal, fn)` does what `signal.addEventListener('abort', fn, { once: true })` and the
 * matching `removeEventListener` do, for a long-lived signal (an exporter's stop signal) that gets
 * a hook and an unhook for every request.
 *
 * Why not addEventListener there: Node's EventTarget keeps listeners in a doubly linked list, and a
 * removed listener keeps its `next` pointer. Once one listener has lived long enough to reach V8's
 * old generation (a worker parked through a quiet spell), its stale `next` keeps every later
 * listener alive through every scavenge, until the next full mark-compact, and with them what their
 * closures reach: a parked taker's promise, the request it was handed, the request's bytes. At 2600
 * requests/s that was every request body, ~70 MB/s, and a full GC about once a second
 * (BENCHMARKS.md, session 7).
 *
 * Here the signal gets one listener for good and the hooks sit in a Set. An unhooked record is also
 * emptied: a Set reallocates its table as entries come and go, and a discarded table that had
 * reached the old generation still points at the records live when it was replaced, until the next
 * full GC. An emptied record leads nowhere (test/abort-hooks.test.ts measures both).
 *
 * As with addEventListener, a hook added to a signal that has already aborted never runs: callers
 * check `signal.aborted` first.
 */
interface Hook {
  fn: (() => void) | undefined;
}

const hooksBySignal = new WeakMap<AbortSignal, Set<Hook>>();

/** Runs `fn` once when `signal` aborts; the returned function unhooks it (idempotent). */
export function onAbort(signal: AbortSignal, fn: () => void): () => void {
  if (signal.aborted) return () => {};
  let hooks = hooksBySignal.get(signal);
  if (hooks === undefined) {
    const created = new Set<Hook>();
    hooks = created;
    hooksBySignal.set(signal, created);
    signal.addEventListener('abort', () => runAll(signal, created), { once: true });
  }
  // A record per call: the same function hooked twice runs twice, as two listeners would.
  const hook: Hook = { fn };
  const set = hooks;
  set.add(hook);
  return () => {
    set.delete(hook);
    hook.fn = undefined;
  };
}

function runAll(signal: AbortSignal, hooks: Set<Hook>): void {
  hooksBySignal.delete(signal);
  const all = [...hooks];
  hooks.clear();
  for (const hook of all) {
    const fn = hook.fn;
    hook.fn = undefined;
    try {
      fn?.();
    } catch (err) {
      // One failing hook must not keep the others from running; the error still surfaces, as an
      // exception thrown by an event listener does.
      queueMicrotask(() => {
        throw err;
      });
    }
  }
}
