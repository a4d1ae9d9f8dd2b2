import { describe, expect, it } from 'vitest';
import { LATE_ARRIVAL_WINDOW_MS, advanceCursor, initialCursor, parseCursor, selectUndelivered, serializeCursor } from '../../../src/receivers/make/cursor.js';
import type { MakeExecution } from '../../../src/receivers/make/mapping.js';

const NOW = 1_800_000_000_000;
const MIN = 60_000;
let n = 0;
function exec(startMs: number, status = 1): MakeExecution {
  const id = (n++).toString(16).padStart(32, '0');
  return { id, imtId: `${startMs}_scenario.1.auto.${id}`, status, timestamp: new Date(startMs).toISOString() };
}

describe('make poll cursor', () => {
  it('starts initial_lookback in the past', () => {
    expect(initialCursor(NOW, 24 * 60 * MIN).from).toBe(NOW - 24 * 60 * MIN);
  });

  it('never selects an execution twice, also when a later page repeats it', () => {
    let c = initialCursor(NOW, 60 * MIN);
    const a = exec(NOW - 10 * MIN);
    const first = selectUndelivered(c, [a], NOW);
    expect(first).toEqual([a]);
    c = advanceCursor(c, first, NOW, NOW);
    expect(selectUndelivered(c, [a], NOW + MIN)).toEqual([]);
  });

  it('still selects a run that shows up late with a start time older than delivered ones', () => {
    let c = initialCursor(NOW, 60 * MIN);
    const newer = exec(NOW - 2 * MIN);
    c = advanceCursor(c, selectUndelivered(c, [newer], NOW), NOW, NOW);
    const late = exec(NOW - 30 * MIN); // started before the first poll, finished after it
    expect(selectUndelivered(c, [late, newer], NOW + MIN)).toEqual([late]);
  });

  it('holds back a pending run inside the window and delivers one stuck past it', () => {
    const c = initialCursor(NOW, 24 * 60 * MIN);
    const running = exec(NOW - 5 * MIN, 0);
    const stuck = exec(NOW - LATE_ARRIVAL_WINDOW_MS - MIN, 0);
    expect(selectUndelivered(c, [stuck, running], NOW)).toEqual([stuck]);
  });

  it('moves from no further than the late-arrival window and forgets ids below it', () => {
    let c = initialCursor(NOW, 24 * 60 * MIN);
    const old = exec(NOW - 3 * 60 * MIN);
    const recent = exec(NOW - 5 * MIN);
    c = advanceCursor(c, selectUndelivered(c, [old, recent], NOW), NOW, NOW);
    expect(c.from).toBe(NOW - LATE_ARRIVAL_WINDOW_MS - 1);
    expect(Object.keys(c.seen)).toEqual([recent.id]);
    expect(c.newest).toBe(NOW - 5 * MIN);
  });

  it('during a backlog, moves from only to the last start time listed', () => {
    let c = initialCursor(NOW, 24 * 60 * MIN);
    const page = [exec(NOW - 20 * 60 * MIN), exec(NOW - 19 * 60 * MIN)];
    c = advanceCursor(c, selectUndelivered(c, page, NOW), NOW - 19 * 60 * MIN, NOW);
    expect(c.from).toBe(NOW - 19 * 60 * MIN - 1);
    // The execution at the boundary stays known, so a server that reads `from` inclusively does not repeat it.
    expect(Object.keys(c.seen)).toEqual([page[1].id]);
    expect(selectUndelivered(c, [page[1]], NOW)).toEqual([]);
  });

  it('round-trips through storage text and rejects what is not a cursor', () => {
    const c = advanceCursor(initialCursor(NOW, MIN), [exec(NOW - 1000)], NOW, NOW);
    expect(parseCursor(serializeCursor(c))).toEqual(c);
    expect(parseCursor('{"v":1,"from":"x"}')).toBeUndefined();
    expect(parseCursor('garbage')).toBeUndefined();
  });
});
