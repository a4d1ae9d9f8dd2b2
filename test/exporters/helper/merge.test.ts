import { afterEach, describe, expect, it } from 'vitest';
import { createExporter } from '../../../src/exporters/helper/exporter.js';
import { deliverHalving, RequestMerger, type AttemptResult } from '../../../src/exporters/helper/merge.js';
import { permanent, retryable, success, type ExportRequest } from '../../../src/exporters/helper/sender.js';
import { countLogRecords } from '../../../src/pdata/model.js';
import { decodeLogs, encodeLogs } from '../../../src/pdata/proto.js';
import { rememberWireBytes } from '../../../src/pdata/wire-bytes.js';
import { MemoryQueue } from '../../../src/queue/memory-queue.js';
import { bodiesOf, eventually, helperConfig, hostWith, logsOf, metric, ScriptedSender, settingsFor } from './fixtures.js';

const ID = { exporter: 'otlphttp/test' };
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** A request as the receiver hands it on: its protobuf bytes ride along and are what is queued. */
function received(...bodies: string[]) {
  const logs = logsOf(...bodies);
  const bytes = encodeLogs(logs);
  rememberWireBytes(logs, bytes);
  return { logs, bytes };
}

/** Records what each send carried; the first send waits for `release` so the others queue up. */
class GatedSender extends ScriptedSender {
  readonly sent: { records: number; bytes: Uint8Array; bodies: string[] }[] = [];
  private open!: () => void;
  private readonly gate = new Promise<void>((r) => (this.open = r));
  release() {
    this.open();
  }
  override async send(request: ExportRequest, signal: AbortSignal) {
    this.sent.push({ records: request.records, bytes: request.bytes(), bodies: bodiesOf(request) });
    if (this.sent.length === 1) await this.gate;
    return super.send(request, signal);
  }
}

function queue(capacity = 100) {
  return new MemoryQueue({ sizer: 'requests', capacity, overflow: 'refuse' });
}

describe('RequestMerger', () => {
  it('takes the requests queued behind the first, up to the record cap, and starts the next merge with the one that did not fit', async () => {
    const q = queue();
    for (const n of [3, 4, 2, 5]) await q.enqueue({ bytes: new Uint8Array(n), items: n });
    const merger = new RequestMerger(q, () => true, { maxRecords: 9, maxBytes: 1 << 20 });
    const stop = new AbortController().signal;
    expect((await merger.next(stop))!.map((r) => r.items)).toEqual([3, 4, 2]);
    expect((await merger.next(stop))!.map((r) => r.items)).toEqual([5]);
  });

  it('caps a merge by bytes as well', async () => {
    const q = queue();
    for (const n of [400, 400, 400]) await q.enqueue({ bytes: new Uint8Array(n), items: 1 });
    const merger = new RequestMerger(q, () => true, { maxRecords: 100, maxBytes: 1000 });
    const stop = new AbortController().signal;
    expect((await merger.next(stop))!.map((r) => r.bytes.byteLength)).toEqual([400, 400]);
    expect((await merger.next(stop))!.map((r) => r.bytes.byteLength)).toEqual([400]);
  });

  it('lets the workers of a queue gather in turns: the first takes every request that became ready together', async () => {
    const q = queue();
    const stop = new AbortController().signal;
    const [a, b] = [new RequestMerger(q, () => true), new RequestMerger(q, () => true)];
    // Both idle, waiting for work; then a group commit makes five requests ready at once.
    const first = a.next(stop);
    const second = b.next(stop);
    await Promise.all([1, 2, 3, 4, 5].map((n) => q.enqueue({ bytes: new Uint8Array(n), items: n })));
    expect((await first)!.map((r) => r.items)).toEqual([1, 2, 3, 4, 5]);
    // The second worker waits for what comes next.
    await q.enqueue({ bytes: new Uint8Array(6), items: 6 });
    expect((await second)!.map((r) => r.items)).toEqual([6]);
  });

  it('sends a request carried over from the last merge at once, while another worker waits for new ones', async () => {
    const q = queue();
    const stop = new AbortController().signal;
    const limits = { maxRecords: 5, maxBytes: 1 << 20 };
    const [a, b] = [new RequestMerger(q, () => true, limits), new RequestMerger(q, () => true, limits)];
    for (const n of [3, 4]) await q.enqueue({ bytes: new Uint8Array(n), items: n });
    // The 4 does not fit beside the 3: worker a carries it over.
    expect((await a.next(stop))!.map((r) => r.items)).toEqual([3]);
    // Worker b now waits for a new request; the queue is empty. Worker a's next merge must not
    // wait behind it (that held the carried request until something else arrived).
    const waiting = b.next(stop);
    expect((await a.next(stop))!.map((r) => r.items)).toEqual([4]);
    await q.enqueue({ bytes: new Uint8Array(1), items: 1 });
    expect((await waiting)!.map((r) => r.items)).toEqual([1]);
  });

  it('sends each request alone while merging is off (the backend is failing)', async () => {
    const q = queue();
    for (const n of [1, 1, 1]) await q.enqueue({ bytes: new Uint8Array(n), items: n });
    const merger = new RequestMerger(q, () => false);
    const stop = new AbortController().signal;
    expect((await merger.next(stop))!.length).toBe(1);
    expect(q.size()).toBe(3);
  });
});

describe('deliverHalving', () => {
  /** Attempts each part; refuses (poison) any merged part holding a bad request; settles single ones. */
  function backend(bad: Set<number>) {
    const attempts: number[][] = [];
    const settled = new Map<number, 'acked' | 'dead-lettered'>();
    const attempt = async (part: readonly number[]): Promise<AttemptResult> => {
      attempts.push([...part]);
      const poisoned = part.some((r) => bad.has(r));
      if (poisoned && part.length > 1) return 'poison';
      for (const r of part) settled.set(r, poisoned ? 'dead-lettered' : 'acked');
      return 'done';
    };
    return { attempts, settled, attempt };
  }

  it('halves a refused merge until only the poison request is dead-lettered, acking every other one once', async () => {
    const b = backend(new Set([5]));
    const requests = [1, 2, 3, 4, 5, 6, 7, 8];
    expect(await deliverHalving(requests, b.attempt)).toBe(true);
    expect(b.attempts).toEqual([[1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 3, 4], [5, 6, 7, 8], [5, 6], [5], [6], [7, 8]]);
    expect([...b.settled.entries()].sort((x, y) => x[0] - y[0])).toEqual([
      [1, 'acked'], [2, 'acked'], [3, 'acked'], [4, 'acked'], [5, 'dead-lettered'], [6, 'acked'], [7, 'acked'], [8, 'acked'],
    ]);
  });

  it('sends a merge the backend accepts once', async () => {
    const b = backend(new Set());
    expect(await deliverHalving([1, 2, 3], b.attempt)).toBe(true);
    expect(b.attempts).toEqual([[1, 2, 3]]);
  });

  it('stops at the first stopped attempt and leaves the rest unsettled (queued for the next start)', async () => {
    const attempts: number[][] = [];
    const result = await deliverHalving([1, 2, 3, 4], async (part) => {
      attempts.push([...part]);
      return part.length > 1 ? 'poison' : 'stopped';
    });
    expect(result).toBe(false);
    expect(attempts).toEqual([[1, 2, 3, 4], [1, 2], [1]]);
  });
});

describe('send-side merge in the exporter (no sending_queue.batch)', () => {
  it('sends the requests queued behind a send as one request whose bytes are their concatenation, and acks each', async () => {
    const sender = new GatedSender();
    const settings = settingsFor();
    const exporter = createExporter(settings, helperConfig({ sending_queue: { num_consumers: 1 } }), sender);
    cleanup.push(() => exporter.shutdown());
    await exporter.start(hostWith());
    const first = received('first');
    await exporter.consume(first.logs);
    await eventually(() => sender.sent.length === 1, 'the first send');
    const queued = [received('a', 'b'), received('c'), received('d', 'e', 'f')];
    for (const r of queued) await exporter.consume(r.logs);
    sender.release();
    await eventually(async () => (await metric(settings.telemetry.exporterSent, ID)) === 7, 'everything delivered');
    expect(sender.sent.map((s) => s.records)).toEqual([1, 6]);
    const merged = sender.sent[1]!.bytes;
    expect(Buffer.from(merged).equals(Buffer.concat(queued.map((r) => r.bytes)))).toBe(true);
    // A valid ExportLogsServiceRequest holding every record, in order.
    const decoded = decodeLogs(merged);
    expect(countLogRecords(decoded)).toBe(6);
    expect(sender.sent[1]!.bodies).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(await metric(settings.telemetry.queueSize, ID)).toBe(0);
  });

  it('after a poison merge delivers every good request and dead-letters nothing it could deliver', async () => {
    const sender = new GatedSender([], (request) => (bodiesOf(request).includes('poison') ? permanent('400 Bad Request') : success()));
    const settings = settingsFor();
    const exporter = createExporter(settings, helperConfig({ sending_queue: { num_consumers: 1 } }), sender);
    cleanup.push(() => exporter.shutdown());
    await exporter.start(hostWith());
    await exporter.consume(received('first').logs);
    await eventually(() => sender.sent.length === 1, 'the first send');
    for (const r of [received('a'), received('poison'), received('b'), received('c')]) await exporter.consume(r.logs);
    sender.release();
    await eventually(async () => (await metric(settings.telemetry.exporterSent, ID)) === 4, 'the good ones delivered');
    // A memory queue has no dead-letter store: the poison request is counted as failed, not lost silently.
    await eventually(async () => (await metric(settings.telemetry.exporterSendFailed, ID)) === 1, 'the poison one failed');
    expect(sender.delivered.sort()).toEqual(['a', 'b', 'c', 'first']);
    expect(await metric(settings.telemetry.queueSize, ID)).toBe(0);
  });

  it('stops merging while the backend fails and merges again once it recovers', async () => {
    const sender = new GatedSender([retryable('503')]);
    const settings = settingsFor();
    const exporter = createExporter(settings, helperConfig({ sending_queue: { num_consumers: 1 }, retry_on_failure: { enabled: false } }), sender);
    cleanup.push(() => exporter.shutdown());
    await exporter.start(hostWith());
    await exporter.consume(received('x').logs);
    await eventually(() => sender.sent.length === 1, 'the first send');
    for (const b of ['a', 'b', 'c']) await exporter.consume(received(b).logs);
    sender.release();
    await eventually(async () => (await metric(settings.telemetry.exporterSent, ID)) === 3, 'the rest delivered');
    // x failed (no retries): the next request goes alone; once it succeeds, merging resumes.
    expect(sender.sent.map((s) => s.bodies)).toEqual([['x'], ['a'], ['b', 'c']]);
  });
});
