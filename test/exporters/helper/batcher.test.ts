import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { runBatcher } from '../../../src/exporters/helper/batcher.js';
import { batchSchema } from '../../../src/exporters/helper/config.js';
import { MemoryQueue } from '../../../src/queue/memory-queue.js';

describe('batcher', () => {
  it('leaves nothing hooked to the gateway-wide stop signal however many batches it waited to fill', async () => {
    const queue = new MemoryQueue({ sizer: 'requests', capacity: 10_000, overflow: 'refuse' });
    const stop = new AbortController();
    const sent: number[][] = [];
    const done = runBatcher({
      queue,
      config: batchSchema.parse({ sizer: 'items', min_size: 5, flush_timeout: '20ms' }),
      consumers: 2,
      stop: stop.signal,
      send: async (batch) => {
        // Read before the ack: an acked request is emptied (src/queue/queue.ts).
        sent.push(batch.map((r) => r.bytes[0]!));
        await Promise.all(batch.map((r) => queue.ack(r.id)));
      },
    });
    // Requests trickle in, so the batcher waits between them, and batches close both full and on
    // their flush deadline.
    for (let i = 0; i < 60; i++) {
      await queue.enqueue({ bytes: new Uint8Array([i]), items: 1 });
      if (i % 7 === 0) await new Promise((r) => setTimeout(r, 30));
      else await new Promise((r) => setImmediate(r));
    }
    for (let i = 0; i < 200 && sent.flat().length < 60; i++) await new Promise((r) => setTimeout(r, 10));
    expect(sent.flat()).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect(sent.length).toBeGreaterThan(8);
    // Only the wait for the next batch's first request is hooked to it.
    expect(getEventListeners(stop.signal, 'abort').length).toBeLessThanOrEqual(1);
    stop.abort();
    await done;
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
  });

  it('sends a batch short of min_size at once when the queue is half full, instead of filling the queue while waiting', async () => {
    // 1-record requests, min_size 8192 (the Collector's), a queue of 10 requests: waiting for
    // min_size would fill the queue and the receiver would refuse while the backend keeps up.
    const queue = new MemoryQueue({ sizer: 'requests', capacity: 10, overflow: 'refuse' });
    const stop = new AbortController();
    const sent: number[] = [];
    const done = runBatcher({
      queue,
      config: batchSchema.parse({ sizer: 'items', min_size: 8192, flush_timeout: '1h' }),
      consumers: 1,
      stop: stop.signal,
      send: async (batch) => {
        sent.push(batch.length);
        await Promise.all(batch.map((r) => queue.ack(r.id)));
      },
    });
    let refused = 0;
    for (let i = 0; i < 40; i++) {
      await queue.enqueue({ bytes: new Uint8Array([i]), items: 1 }).catch(() => refused++);
      await new Promise((r) => setImmediate(r));
    }
    for (let i = 0; i < 200 && sent.reduce((a, b) => a + b, 0) < 40; i++) await new Promise((r) => setTimeout(r, 10));
    expect(refused).toBe(0);
    expect(sent.reduce((a, b) => a + b, 0)).toBe(40);
    for (const n of sent) expect(n).toBeLessThanOrEqual(5);
    stop.abort();
    await done;
  });
});
