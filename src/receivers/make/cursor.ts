import { executionTimeMs, type MakeExecution } from './mapping.js';

/**
 * A scenario's poll cursor and the pure rules that move it (the reasoning is in poller.ts).
 *
 * Invariant: every execution that has not been delivered yet, or that may still appear, has a
 * start time > `from`; every delivered execution with start time >= `from` is in `seen`.
 * So a query `from=<from>` returns everything still owed, and `seen` filters what was delivered,
 * whether Make treats `from` as inclusive or exclusive.
 */

/**
 * How long after its start an execution may still show up in the log list. Make stops a scenario
 * run after 40 minutes (its maximum execution time); 5 more minutes cover clock skew between us
 * and Make and the delay before a finished run is listed.
 */
export const LATE_ARRIVAL_WINDOW_MS = 45 * 60_000;

const CURSOR_VERSION = 1;

export interface ScenarioCursor {
  v: typeof CURSOR_VERSION;
  /** Epoch ms; the `from` query parameter of the next page. */
  from: number;
  /** Delivered execution id → its start time (epoch ms), for executions at or after `from`. */
  seen: Record<string, number>;
  /** Start time of the newest execution delivered (for the poll-lag metric). */
  newest?: number;
}

export function initialCursor(nowMs: number, lookbackMs: number): ScenarioCursor {
  return { v: CURSOR_VERSION, from: nowMs - lookbackMs, seen: {} };
}

/** A stored cursor, or undefined when the text is not one (then the caller starts afresh). */
export function parseCursor(text: string): ScenarioCursor | undefined {
  try {
    const c = JSON.parse(text) as Partial<ScenarioCursor>;
    if (c.v !== CURSOR_VERSION || typeof c.from !== 'number' || typeof c.seen !== 'object' || c.seen === null) return undefined;
    for (const ts of Object.values(c.seen)) if (typeof ts !== 'number') return undefined;
    return { v: CURSOR_VERSION, from: c.from, seen: c.seen, newest: typeof c.newest === 'number' ? c.newest : undefined };
  } catch {
    return undefined;
  }
}

export function serializeCursor(c: ScenarioCursor): string {
  return JSON.stringify(c);
}

/**
 * The executions of a page still owed downstream: not delivered before, not older than the cursor
 * (already accounted for), and not a pending run that may yet finish (it comes back when it does,
 * or, stuck past the window, is delivered as pending).
 */
export function selectUndelivered(c: ScenarioCursor, page: MakeExecution[], passStartMs: number): MakeExecution[] {
  const settledBefore = passStartMs - LATE_ARRIVAL_WINDOW_MS;
  const out: MakeExecution[] = [];
  const onPage = new Set<string>();
  for (const e of page) {
    const ts = executionTimeMs(e);
    if (ts === undefined || ts <= c.from) continue;
    if (c.seen[e.id] !== undefined || onPage.has(e.id)) continue;
    if (e.status === 0 && ts >= settledBefore) continue;
    onPage.add(e.id);
    out.push(e);
  }
  return out;
}

/**
 * The cursor after `delivered` was accepted downstream and everything starting at or before
 * `coveredUpToMs` has been listed in this pass (the last start time on the page; the pass's `to`
 * once the last page is read). `from` only moves to where nothing can still arrive late.
 */
export function advanceCursor(c: ScenarioCursor, delivered: MakeExecution[], coveredUpToMs: number, passStartMs: number): ScenarioCursor {
  const seen = { ...c.seen };
  let newest = c.newest;
  for (const e of delivered) {
    const ts = executionTimeMs(e)!;
    seen[e.id] = ts;
    if (newest === undefined || ts > newest) newest = ts;
  }
  // -1: an execution starting exactly at the boundary stays above `from` under either reading of
  // Make's `from` (inclusive or exclusive); if it was delivered, `seen` still holds it.
  const from = Math.max(c.from, Math.min(coveredUpToMs, passStartMs - LATE_ARRIVAL_WINDOW_MS) - 1);
  for (const [id, ts] of Object.entries(seen)) if (ts < from) delete seen[id];
  return { v: CURSOR_VERSION, from, seen, newest };
}

export function sameCursor(a: ScenarioCursor, b: ScenarioCursor): boolean {
  return serializeCursor(a) === serializeCursor(b);
}
