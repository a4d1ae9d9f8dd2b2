import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openOwnedDatabase, QUEUE_DB_FILE } from '../../src/queue/database.js';
import { deadLettersIn } from '../helpers/dead-letters.js';
import { SqliteQueue, type SqliteQueueOptions } from '../../src/queue/sqlite-queue.js';
import { readLeftovers, STAGE_DIR } from '../../src/queue/stage-log.js';
import { runQueueContract } from './queue.contract.js';

const dirs: string[] = [];
const queues: SqliteQueue[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'queue-test-'));
  dirs.push(dir);
  return dir;
}
function open(dir: string, extra: Partial<SqliteQueueOptions> = {}): SqliteQueue {
  const q = SqliteQueue.open({ directory: dir, fsync: true, exporterId: 'otlphttp/a', sizer: 'requests', capacity: 1000, overflow: 'refuse', ...extra });
  queues.push(q);
  return q;
}
afterEach(async () => {
  for (const q of queues.splice(0)) await q.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

runQueueContract('SqliteQueue', async (limits) => open(tempDir(), limits));

describe('SqliteQueue persistence', () => {
  it('keeps records dead-lettered outside the queue, with their reason, for `queue dead-letter list`', async () => {
    const dir = tempDir();
    const q = open(dir);
    await q.deadLetterNew(new Uint8Array([1, 2, 3]), 1, 'permanent: entry above 1 MB');
    await q.close();
    expect(await deadLettersIn(dir, 'otlphttp/a')).toMatchObject([{ records: 1, bytes: 3, attempts: 0, reason: 'permanent: entry above 1 MB' }]);
    expect(open(dir).deadLetterSize()).toBe(1);
  });

  it('has the request on disk, in the stage log, by the time enqueue resolves; in the table after close', async () => {
    const dir = tempDir();
    const q = open(dir);
    await q.enqueue({ bytes: new Uint8Array([7, 7]), items: 2 });
    const staged = readLeftovers(dir).records;
    expect(staged.map((r) => ({ exporterId: r.exporterId, items: r.items, payload: [...r.payload] }))).toEqual([{ exporterId: 'otlphttp/a', items: 2, payload: [7, 7] }]);
    await q.close();
    const raw = new Database(join(dir, QUEUE_DB_FILE), { readonly: true });
    const rows = raw.prepare('SELECT items, size_bytes, payload FROM "q_otlphttp_a"').all();
    raw.close();
    expect(rows).toEqual([{ items: 2, size_bytes: 2, payload: Buffer.from([7, 7]) }]);
    expect(existsSync(join(dir, STAGE_DIR))).toBe(false);
  });

  it('keeps every undelivered request across a close, in flight ones included, and marks only those as redeliveries', async () => {
    const dir = tempDir();
    const q = open(dir);
    for (let i = 0; i < 5; i++) await q.enqueue({ bytes: new Uint8Array([i]), items: 1 });
    const inFlight = await q.take();
    await q.recordAttempt(inFlight!.id);
    await q.close();

    const again = open(dir);
    expect(again.size()).toBe(5);
    const seen = [];
    for (let i = 0; i < 5; i++) seen.push(await again.take());
    expect(seen.map((r) => r!.bytes[0])).toEqual([0, 1, 2, 3, 4]);
    // Only the one a worker held may have reached the backend: the rest were never sent.
    expect(seen.map((r) => r!.redelivery)).toEqual([true, false, false, false, false]);
    expect(seen[0]!.attempts).toBe(1);
    await again.enqueue({ bytes: new Uint8Array([5]), items: 1 });
    expect((await again.take())!.redelivery).toBe(false);
  });

  it('stays full after a restart when the backlog fills it', async () => {
    const dir = tempDir();
    const q = open(dir, { capacity: 2 });
    await q.enqueue({ bytes: new Uint8Array([1]), items: 1 });
    await q.enqueue({ bytes: new Uint8Array([2]), items: 1 });
    await q.close();
    const again = open(dir, { capacity: 2 });
    expect((await again.enqueue({ bytes: new Uint8Array([3]), items: 1 }).catch((e) => e)).code).toBe('QUEUE_FULL');
  });

  it('delivers a backlog longer than a read page completely and in order', async () => {
    const dir = tempDir();
    const q = open(dir);
    await Promise.all(Array.from({ length: 100 }, (_, i) => q.enqueue({ bytes: new Uint8Array([i]), items: 1 })));
    await q.close();
    const again = open(dir);
    const order: number[] = [];
    for (let i = 0; i < 100; i++) {
      const r = await again.take();
      order.push(r!.bytes[0]);
      await again.ack(r!.id);
    }
    expect(order).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(again.size()).toBe(0);
  });

  it('hands requests enqueued while workers wait to them exactly once, in order, and keeps them until acked', async () => {
    const dir = tempDir();
    const q = open(dir);
    const taken: number[] = [];
    const workers = Array.from({ length: 4 }, async () => {
      for (;;) {
        const r = await q.take();
        if (!r) return;
        taken.push(r.bytes[0]);
        // Ack only the even ones: the odd ones must survive a restart.
        if (r.bytes[0] % 2 === 0) await q.ack(r.id);
        if (taken.length === 100) await q.close();
      }
    });
    // Waves of concurrent enqueues (group commits) interleaved with the waiting workers.
    for (let wave = 0; wave < 10; wave++) {
      await Promise.all(Array.from({ length: 10 }, (_, i) => q.enqueue({ bytes: new Uint8Array([wave * 10 + i]), items: 1 })));
    }
    await Promise.all(workers);
    expect(taken).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const again = open(dir);
    const redelivered: number[] = [];
    expect(again.size()).toBe(50);
    for (let i = 0; i < 50; i++) redelivered.push((await again.take())!.bytes[0]);
    expect(redelivered).toEqual(Array.from({ length: 50 }, (_, i) => 2 * i + 1));
  });

  it('keeps the queues of two exporters sharing a directory apart', async () => {
    // One connection for both, as the file_storage extension holds it.
    const database = openOwnedDatabase(tempDir(), { fsync: true });
    const limits = { sizer: 'requests', capacity: 10, overflow: 'refuse' } as const;
    const a = SqliteQueue.create(database, 'otlphttp/a', limits);
    const b = SqliteQueue.create(database, 'otlphttp.a', limits);
    queues.push(a, b);
    await a.enqueue({ bytes: new Uint8Array([1]), items: 1 });
    await b.enqueue({ bytes: new Uint8Array([2]), items: 1 });
    expect([...(await a.take())!.bytes]).toEqual([1]);
    expect([...(await b.take())!.bytes]).toEqual([2]);
    expect(a.size()).toBe(1);
    expect(b.size()).toBe(1);
    await a.close();
    await b.close();
    await database.close();
  });

  it('keeps dead-lettered requests with their reason across a restart', async () => {
    const dir = tempDir();
    const q = open(dir);
    await q.enqueue({ bytes: new Uint8Array([1]), items: 4 });
    await q.deadLetter((await q.take())!.id, 'HTTP 400: invalid');
    await q.close();
    const again = open(dir);
    expect(again.deadLetterSize()).toBe(1);
    expect(again.size()).toBe(0);
    const raw = new Database(join(dir, QUEUE_DB_FILE), { readonly: true });
    const dl = raw.prepare('SELECT exporter_id, items, reason FROM dead_letter').all();
    raw.close();
    expect(dl).toEqual([{ exporter_id: 'otlphttp/a', items: 4, reason: 'HTTP 400: invalid' }]);
  });

  it('starts on a file that is not a queue database, after moving it aside (kept, byte for byte)', () => {
    const dir = tempDir();
    const text = 'this is not a database, just text that is long enough to have a header'.repeat(20);
    writeFileSync(join(dir, QUEUE_DB_FILE), text);
    const q = open(dir);
    expect(q.size()).toBe(0);
    const aside = readdirSync(dir).filter((f) => f.startsWith(`${QUEUE_DB_FILE}.corrupt-`));
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(dir, aside[0]!), 'utf8')).toBe(text);
  });
});

describe('SqliteQueue dead-letter bound', () => {
  const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

  it('removes the oldest dead letters past dead_letter_max_bytes, says how many, and keeps the newest', async () => {
    const dir = tempDir();
    const evictions: [number, number][] = [];
    const q = open(dir, { deadLetterMaxBytes: 250, onDeadLetterEvicted: (requests, records) => evictions.push([requests, records]) });
    for (let i = 1; i <= 3; i++) {
      await q.enqueue({ bytes: bytes(100, i), items: i });
      const r = await q.take();
      await q.deadLetter(r!.id, `permanent: ${i}`);
    }
    // 300 bytes stored after the third: the first (100 bytes, 1 record) goes.
    expect(evictions).toEqual([[1, 1]]);
    expect(q.deadLetterSize()).toBe(2);
    await q.deadLetterNew(bytes(400, 9), 4, 'permanent: too big for the bound alone');
    // The newest is kept even though it alone is over the bound; everything older goes.
    expect(evictions).toEqual([[1, 1], [2, 5]]);
    expect(q.deadLetterSize()).toBe(1);
    await q.close();
    expect((await deadLettersIn(dir, 'otlphttp/a')).map((d) => d.reason)).toEqual(['permanent: too big for the bound alone']);
  });

  it('keeps every dead letter when unbounded', async () => {
    const q = open(tempDir(), { deadLetterMaxBytes: 0 });
    for (let i = 0; i < 5; i++) await q.deadLetterNew(bytes(1000, i), 1, 'permanent');
    expect(q.deadLetterSize()).toBe(5);
  });
});
