import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { newLogRecord } from '../../src/pdata/model.js';
import { encodeLogs } from '../../src/pdata/proto.js';
import { MemoryQueue } from '../../src/queue/memory-queue.js';
import type { Queue, QueueLimits } from '../../src/queue/queue.js';
import { SqliteQueue } from '../../src/queue/sqlite-queue.js';

/**
 * Dead letters on a running queue (the admin API's list / replay / delete), the same for both
 * queues: a replayed request reaches a taker that is already waiting, without a reopen.
 */
const limits: QueueLimits = { sizer: 'requests', capacity: 100, overflow: 'refuse' };
const dirs: string[] = [];
const opened: Queue[] = [];
afterEach(async () => {
  for (const q of opened.splice(0)) await q.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function request(body: string): Uint8Array {
  return encodeLogs({ resourceLogs: [{ scopeLogs: [{ logRecords: [newLogRecord({ body: { stringValue: body } })], schemaUrl: '' }], schemaUrl: '' }] });
}

const makers: [string, () => Queue][] = [
  ['MemoryQueue', () => new MemoryQueue(limits)],
  [
    'SqliteQueue',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'dead-letters-'));
      dirs.push(dir);
      return SqliteQueue.open({ ...limits, directory: dir, fsync: false, exporterId: 'otlphttp/a' });
    },
  ],
];

for (const [name, make] of makers) {
  describe(`${name} dead letters`, () => {
    const open = () => {
      const q = make();
      opened.push(q);
      return q;
    };
    const deadLetter = async (q: Queue, body: string, reason: string) => {
      await q.enqueue({ bytes: request(body), items: 1 });
      const taken = (await q.take())!;
      await q.recordAttempt(taken.id);
      await q.deadLetter(taken.id, reason);
    };

    it('lists dead letters by id with reason, counts and the first body as preview, a page at a time', async () => {
      const q = open();
      await deadLetter(q, 'first body', 'permanent: HTTP 400');
      await deadLetter(q, 'x'.repeat(500), 'permanent: HTTP 413');
      const page = await q.listDeadLetters({ limit: 1 });
      expect(page).toHaveLength(1);
      expect(page[0]).toMatchObject({ reason: 'permanent: HTTP 400', records: 1, preview: 'first body' });
      expect(page[0]!.deadLetteredAtMs).toBeGreaterThanOrEqual(page[0]!.enqueuedAtMs);
      const next = await q.listDeadLetters({ limit: 10, after: page[0]!.id });
      expect(next).toHaveLength(1);
      expect(next[0]!.preview).toBe('x'.repeat(200));
      expect(q.deadLetterSize()).toBe(2);
    });

    it('replays selected dead letters to a taker already waiting, attempts reset', async () => {
      const q = open();
      await deadLetter(q, 'keep me', 'permanent: HTTP 400');
      await deadLetter(q, 'other', 'permanent: HTTP 400');
      const [first] = await q.listDeadLetters({ limit: 10 });
      const waiting = q.take();
      expect(await q.replayDeadLetters({ ids: [first!.id, 999_999] })).toEqual({ requests: 1, records: 1 });
      const replayed = (await waiting)!;
      expect(replayed.attempts).toBe(0);
      expect(Buffer.from(replayed.bytes)).toEqual(Buffer.from(request('keep me')));
      expect(q.size()).toBe(1);
      expect(q.deadLetterSize()).toBe(1);
      expect(q.oldestEnqueuedAtMs()).toBe(replayed.enqueuedAtMs);
      await q.ack(replayed.id);
      expect(q.oldestEnqueuedAtMs()).toBeUndefined();
    });

    it('replays all and deletes a selection for good', async () => {
      const q = open();
      for (const b of ['a', 'b', 'c']) await deadLetter(q, b, 'permanent');
      const ids = (await q.listDeadLetters({ limit: 10 })).map((e) => e.id);
      expect(await q.deleteDeadLetters({ ids: [ids[0]!] })).toEqual({ requests: 1, records: 1 });
      expect(await q.replayDeadLetters({ all: true })).toEqual({ requests: 2, records: 1 * 2 });
      expect(await q.listDeadLetters({ limit: 10 })).toEqual([]);
      const bodies = [(await q.take())!, (await q.take())!].map((r) => Buffer.from(r.bytes));
      expect(bodies).toEqual([Buffer.from(request('b')), Buffer.from(request('c'))]);
      expect(await q.deleteDeadLetters({ all: true })).toEqual({ requests: 0, records: 0 });
    });
  });
}
