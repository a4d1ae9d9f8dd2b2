import { setFlagsFromString } from 'node:v8';

/**
 * V8 heap growth for the long-running gateway. V8 sizes the old generation's next collection
 * limit from the live heap (about 20 MB here) with a factor it picks from recent GC speed. Every
 * request body is an ArrayBuffer outside the heap, and the ones still alive at a scavenge count
 * against that limit until the next mark-compact, so at ~2500 requests/s V8 ran a full
 * mark-compact every 100-150 ms, with its marking threads taking about a quarter of a core
 * (BENCHMARKS.md, session 3). A fixed factor of 4 (300 % growth) cut that to one every 0.5-1 s;
 * the persistent path's CPU per record fell about 25 % and peak RSS rose about 8 MB.
 *
 * `--heap-growing-percent` is read at each collection, so setting it at start-up works; the
 * sizing flags (semi-space, initial old space) are fixed when the isolate is created and are not
 * accepted in NODE_OPTIONS, so this is the one knob a process can turn for itself.
 */
export const HEAP_GROWING_PERCENT = 300;

/** The V8 flag to set, or undefined when the operator chose a value on the node command line. */
export function heapGrowingFlag(execArgv: readonly string[]): string | undefined {
  if (execArgv.some((a) => /^--heap[-_]growing[-_]percent(=|$)/.test(a))) return undefined;
  return `--heap-growing-percent=${HEAP_GROWING_PERCENT}`;
}

/** Apply at gateway start (not for one-shot commands such as `validate`). */
export function tuneHeap(execArgv: readonly string[] = process.execArgv): void {
  const flag = heapGrowingFlag(execArgv);
  if (flag) setFlagsFromString(flag);
}
