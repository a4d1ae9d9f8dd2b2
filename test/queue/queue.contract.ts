import { afterEach, describe, expect, it } from 'vitest';
import { PermanentError, RetryableError } from '../../src/errors.js';
import { newLogRecord } from '../../src/pdata/model.js';
import { encodeLogs } from '../../src/pdata/proto.js';
import type { Queue, QueueLimits } from '../../src/queue/queue.js';

/**
 * The behaviour every Queue implementation promises (src/queue/queue.ts), run once per
 * implementation by memory-queue.test.ts and sqlite-queue.test.ts.
 */
export type QueueMaker = (limits: QueueLimits) => Promise<Queue>;

const roomy: QueueLimits = { sizer: 'requests', capacity: 100, overflow: 'refuse' };
const bytes = (...values: number[]) => new Uint8Array(values);
const tick = () => new Promise((r) => setImmediate(r));
/** A real ExportLogsServiceRequest with one record per body. */
const request = (...bodies: string[]) =>
  encodeLogs({ resourceLogs: [{ schemaUrl: '', scopeLogs: [{ schemaUrl: '', logRecords: bodies.map((b) => newLogRecord({ body: { stringValue: b } })) }] }] });

/** Enqueue one request per body, take each and dead-letter it with `reason <body>`. */
async function deadLettered(q: Queue, ...bodies: string[]): Promise<void> {
  for (const body of bodies) {
    await q.enqueue({ bytes: request(body), items: 1 });
    const taken = await q.take();
    await q.deadLetter(taken!.id, `reason ${body}`);
  }
}

export function runQueueContract(name: string, makeQueue: QueueMaker): void {
  describe(`${name} (queue contract)`, () => {
    const opened: Queue[] = [];
    const open = async (limits: QueueLimits = roomy) => {
      const q = await makeQueue(limits);
      opened.push(q);
      return q;
    };
    afterEach(async () => {
      for (const q of opened.splice(0)) await q.close();
    });

    it('hands back what was enqueued, byte for byte, oldest first', async () => {
      const q = await open();
      await q.enqueue({ bytes: bytes(1, 2, 3), items: 3 });
      await q.enqueue({ bytes: bytes(4), items: 1 });
      const first = await q.take();
      const second = await q.take();
      expect([...first!.bytes]).toEqual([1, 2, 3]);
      expect(first!.items).toBe(3);
      expect(first!.attempts).toBe(0);
      expect([...second!.bytes]).toEqual([4]);
    });

    it('makes a taker wait until something is enqueued', async () => {
      const q = await open();
      const taken = q.take();
      await q.enqueue({ bytes: bytes(9), items: 1 });
      expect([...(await taken)!.bytes]).toEqual([9]);
    });

    it('lets a stopping taker go without losing the next request', async () => {
      const q = await open();
      const stop = new AbortController();
      const abandoned = q.take(stop.signal);
      stop.abort();
      expect(await abandoned).toBeUndefined();
      await q.enqueue({ bytes: bytes(5), items: 1 });
      expect([...(await q.take())!.bytes]).toEqual([5]);
    });

    it('polls without waiting: the oldest free request, or nothing', async () => {
      const q = await open();
      expect(await q.poll()).toBeUndefined();
      await q.enqueue({ bytes: bytes(1), items: 1 });
      await q.enqueue({ bytes: bytes(2), items: 1 });
      const held = await q.take();
      const polled = await q.poll();
      expect([...polled!.bytes]).toEqual([2]);
      expect(await q.poll()).toBeUndefined();
      // Polled requests are held like taken ones: counted until acked, never handed out twice.
      expect(q.size()).toBe(2);
      await q.ack(held!.id);
      await q.ack(polled!.id);
      expect(q.size()).toBe(0);
      expect(await q.poll()).toBeUndefined();
    });

    it('empties a request once it is acknowledged or dead-lettered; its id and items stay', async () => {
      const q = await open();
      // 2 MiB: a persistent queue keeps a request that big in its table, the others in its stage log.
      const big = new Uint8Array(2 * 1024 * 1024).fill(7);
      await q.enqueue({ bytes: bytes(1, 2, 3), items: 3 });
      await q.enqueue({ bytes: big, items: 5 });
      await q.enqueue({ bytes: bytes(4), items: 1 });
      const taken = [(await q.take())!, (await q.take())!, (await q.take())!].sort((a, b) => a.items - b.items);
      expect(taken.map((r) => r.bytes.byteLength)).toEqual([1, 3, big.byteLength]);
      const ids = taken.map((r) => r.id);
      await q.deadLetter(taken[0]!.id, 'permanent: test');
      await q.ack(taken[1]!.id);
      await q.ack(taken[2]!.id);
      // What a finished request held must not outlive it (src/queue/queue.ts, emptyRequest).
      expect(taken.map((r) => r.bytes.byteLength)).toEqual([0, 0, 0]);
      expect(taken.map((r) => r.logs)).toEqual([undefined, undefined, undefined]);
      expect(taken.map((r) => r.id)).toEqual(ids);
      expect(taken.map((r) => r.items)).toEqual([1, 3, 5]);
      expect(q.size()).toBe(0);
      expect(q.deadLetterSize()).toBe(1);
    });

    it('hands a request to one taker only', async () => {
      const q = await open();
      await q.enqueue({ bytes: bytes(1), items: 1 });
      await q.enqueue({ bytes: bytes(2), items: 1 });
      const [a, b] = await Promise.all([q.take(), q.take()]);
      expect(new Set([a!.id, b!.id]).size).toBe(2);
    });

    it('counts a request in its size until it is acknowledged', async () => {
      const q = await open();
      await q.enqueue({ bytes: bytes(1), items: 1 });
      const r = await q.take();
      expect(q.size()).toBe(1);
      await q.ack(r!.id);
      expect(q.size()).toBe(0);
    });

    it('moves a dead-lettered request out of the queue and counts it', async () => {
      const q = await open();
      await q.enqueue({ bytes: bytes(1), items: 1 });
      const r = await q.take();
      await q.deadLetter(r!.id, 'HTTP 400: bad request');
      expect(q.size()).toBe(0);
      expect(q.deadLetterSize()).toBe(1);
    });

    it('dead-letters records that were never queued without touching the queue size', async () => {
      const q = await open();
      await q.enqueue({ bytes: bytes(1), items: 1 });
      await q.deadLetterNew(bytes(8, 9), 2, 'record above the 1 MB request limit');
      expect(q.size()).toBe(1);
      expect(q.deadLetterSize()).toBe(1);
      expect([...(await q.take())!.bytes]).toEqual([1]);
    });

    it.each([
      ['requests', 2, [1, 1], 1],
      ['items', 10, [6, 4], 1],
      ['bytes', 8, [4, 4], 4],
    ] as const)('refuses as throttled when full by the %s sizer', async (sizer, capacity, fill, extraBytes) => {
      const q = await open({ sizer, capacity, overflow: 'refuse' });
      for (const items of fill) await q.enqueue({ bytes: new Uint8Array(sizer === 'bytes' ? 4 : 1), items });
      const err = await q.enqueue({ bytes: new Uint8Array(extraBytes), items: 1 }).catch((e) => e);
      expect(err).toBeInstanceOf(RetryableError);
      expect(err.code).toBe('QUEUE_FULL');
      expect(err.throttled).toBe(true);
      expect(q.size()).toBe(capacity);
    });

    it('refuses for good a request that can never fit', async () => {
      const q = await open({ sizer: 'items', capacity: 5, overflow: 'block' });
      const err = await q.enqueue({ bytes: bytes(1), items: 6 }).catch((e) => e);
      expect(err).toBeInstanceOf(PermanentError);
    });

    it('makes an enqueue wait for room when blocking on overflow', async () => {
      const q = await open({ sizer: 'requests', capacity: 1, overflow: 'block' });
      await q.enqueue({ bytes: bytes(1), items: 1 });
      let done = false;
      const blocked = q.enqueue({ bytes: bytes(2), items: 1 }).then((o) => ((done = true), o));
      await tick();
      await tick();
      expect(done).toBe(false);
      const r = await q.take();
      await q.ack(r!.id);
      expect(await blocked).toBe('committed');
      expect([...(await q.take())!.bytes]).toEqual([2]);
    });

    it('drops the newest request when full under drop_newest, and says so', async () => {
      const q = await open({ sizer: 'requests', capacity: 1, overflow: 'drop_newest' });
      expect(await q.enqueue({ bytes: bytes(1), items: 1 })).toBe('committed');
      expect(await q.enqueue({ bytes: bytes(2), items: 1 })).toBe('dropped');
      expect(q.size()).toBe(1);
    });

    it('releases takers and blocked enqueuers on close, and refuses afterwards', async () => {
      const q = await open({ sizer: 'requests', capacity: 1, overflow: 'block' });
      await q.enqueue({ bytes: bytes(1), items: 1 });
      const blocked = q.enqueue({ bytes: bytes(2), items: 1 }).catch((e) => e);
      const held = await q.take();
      expect(held).toBeDefined();
      const waitingTaker = q.take();
      await q.close();
      await q.close();
      expect(await waitingTaker).toBeUndefined();
      expect((await blocked).code).toBe('QUEUE_CLOSED');
      expect((await q.enqueue({ bytes: bytes(3), items: 1 }).catch((e) => e)).code).toBe('QUEUE_CLOSED');
    });

    it('lists dead letters by id, after a cursor, with a preview of the first body', async () => {
      const q = await open();
      await deadLettered(q, 'first', 'second', 'third');
      await q.deadLetterNew(request('x'.repeat(300), 'y'), 2, 'permanent: too big');
      const all = await q.listDeadLetters({ limit: 10 });
      expect(all.map((d) => d.reason)).toEqual(['reason first', 'reason second', 'reason third', 'permanent: too big']);
      expect(all.map((d) => d.id)).toEqual([...all.map((d) => d.id)].sort((a, b) => a - b));
      expect(all[0]).toMatchObject({ records: 1, preview: 'first', bytes: request('first').byteLength });
      expect(all[0]!.deadLetteredAtMs).toBeGreaterThanOrEqual(all[0]!.enqueuedAtMs);
      expect(all[3]).toMatchObject({ records: 2, attempts: 0, preview: 'x'.repeat(200) });
      const page = await q.listDeadLetters({ limit: 2, after: all[0]!.id });
      expect(page.map((d) => d.reason)).toEqual(['reason second', 'reason third']);
      expect(await q.listDeadLetters({ limit: 10, after: all[3]!.id })).toEqual([]);
    });

    it('replays dead letters to a waiting taker, attempts reset, and counts them in the size again', async () => {
      const q = await open();
      await q.enqueue({ bytes: request('again'), items: 1 });
      const taken = await q.take();
      await q.recordAttempt(taken!.id);
      await q.deadLetter(taken!.id, 'retries exhausted');
      expect(q.size()).toBe(0);
      const waiting = q.take();
      const [entry] = await q.listDeadLetters({ limit: 1 });
      expect(await q.replayDeadLetters({ ids: [entry!.id] })).toEqual({ requests: 1, records: 1 });
      const replayed = await waiting;
      expect(replayed).toMatchObject({ attempts: 0, items: 1 });
      expect(replayed!.bytes).toEqual(request('again'));
      expect(q.size()).toBe(1);
      expect(q.deadLetterSize()).toBe(0);
      await q.ack(replayed!.id);
      expect(q.size()).toBe(0);
    });

    it('replays all dead letters, oldest first, besides what is queued', async () => {
      const q = await open();
      await deadLettered(q, 'a', 'b');
      await q.enqueue({ bytes: request('live'), items: 1 });
      expect(await q.replayDeadLetters({ all: true })).toEqual({ requests: 2, records: 1 + 1 });
      // Where replayed requests go relative to live ones is the implementation's (the SQLite queue
      // hands out its table before its stage); among themselves they keep their order.
      const taken: string[] = [];
      for (let i = 0; i < 3; i++) taken.push(Buffer.from((await q.take())!.bytes).toString('latin1'));
      const [live, a, b] = [request('live'), request('a'), request('b')].map((r) => Buffer.from(r).toString('latin1'));
      expect([...taken].sort()).toEqual([live, a, b].sort());
      expect(taken.indexOf(a!)).toBeLessThan(taken.indexOf(b!));
      expect(await q.listDeadLetters({ limit: 10 })).toEqual([]);
    });

    it('deletes the selected dead letters for good, ignoring unknown ids', async () => {
      const q = await open();
      await deadLettered(q, 'one', 'two', 'three');
      const [one, , three] = await q.listDeadLetters({ limit: 10 });
      expect(await q.deleteDeadLetters({ ids: [one!.id, three!.id, 999_999] })).toEqual({ requests: 2, records: 2 });
      expect((await q.listDeadLetters({ limit: 10 })).map((d) => d.reason)).toEqual(['reason two']);
      expect(q.deadLetterSize()).toBe(1);
      expect(await q.deleteDeadLetters({ all: true })).toEqual({ requests: 1, records: 1 });
      expect(q.deadLetterSize()).toBe(0);
      expect(await q.replayDeadLetters({ all: true })).toEqual({ requests: 0, records: 0 });
    });

    it('tells when the oldest live request was enqueued, in flight included', async () => {
      const q = await open();
      expect(q.oldestEnqueuedAtMs()).toBeUndefined();
      const before = Date.now();
      await q.enqueue({ bytes: bytes(1), items: 1 });
      await q.enqueue({ bytes: bytes(2), items: 1 });
      const oldest = q.oldestEnqueuedAtMs()!;
      expect(oldest).toBeGreaterThanOrEqual(before);
      expect(oldest).toBeLessThanOrEqual(Date.now());
      const first = await q.take();
      expect(q.oldestEnqueuedAtMs()).toBe(oldest);
      await q.ack(first!.id);
      const second = await q.take();
      await q.ack(second!.id);
      expect(q.oldestEnqueuedAtMs()).toBeUndefined();
    });
  });
}
