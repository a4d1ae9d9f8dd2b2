import type { Queue, QueuedRequest } from '../../queue/queue.js';

/**
 * Send-side merge (docs/architecture.md §3, step 6): a worker that takes a queued request also
 * takes the requests already waiting behind it, without waiting for more, and sends them as one
 * backend request. Concatenated ExportLogsServiceRequest messages are themselves one valid request
 * (its only field, `resource_logs`, is repeated), so the merged body is the stored bytes one after
 * the other, never re-encoded.
 *
 * Why: with clients that send a record or ten per request (the OpenTelemetry SDKs'
 * SimpleLogRecordProcessor), `num_consumers` workers that each send one request at a time send at
 * most `num_consumers` requests per backend round trip; the queue (1000 requests by default)
 * filled and the receiver answered 429 to two requests in three (issue 23). Merging only what is
 * already queued adds no latency: an idle exporter still sends each request at once.
 *
 * Each original request keeps its identity: it is acknowledged, or dead-lettered, on its own
 * (`deliverHalving`), and counted as a redelivery on its own.
 */

/**
 * Caps of one merged request. 8192 records is the Collector's batch size; 1 MiB keeps a merged
 * request well below every backend's body limit (the smallest we ship for: 5 MB) and short to send.
 */
export const MERGE_MAX_RECORDS = 8192;
export const MERGE_MAX_BYTES = 1024 * 1024;

export interface MergeLimits {
  maxRecords: number;
  maxBytes: number;
}

export const DEFAULT_MERGE_LIMITS: MergeLimits = { maxRecords: MERGE_MAX_RECORDS, maxBytes: MERGE_MAX_BYTES };

/**
 * Per queue: the end of the last merge started, so the workers of a queue gather one after the
 * other. When a group commit makes 15 requests ready at once, every idle worker used to wake and
 * take one or two of them: 5.8 client requests per backend request with 10-record requests and 64
 * clients, and the send side's CPU made the bare pipeline 1.3-1.5x the pass-through's CPU per
 * request (BENCHMARKS.md, issue 23). Taking turns, the first worker takes them all and the next
 * waits for what comes after; sends still overlap (up to `num_consumers`).
 */
const turns = new WeakMap<Queue, Promise<unknown>>();

/**
 * One worker's merger: `next` takes a request (waiting for one) and adds what is queued behind it
 * while it fits the caps. A request polled that does not fit is kept and opens the next merge, so
 * nothing polled is left unsent. With `merging()` false (the backend is failing) every request
 * goes alone: a worker retrying an outage then holds one request, not thousands, and what comes
 * back after a crash stays bounded by one request per worker.
 */
export class RequestMerger {
  private carried: QueuedRequest | undefined;

  constructor(
    private readonly queue: Queue,
    private readonly merging: () => boolean,
    private readonly limits: MergeLimits = DEFAULT_MERGE_LIMITS,
  ) {}

  /**
   * The next requests to send as one; `undefined` once the queue is closed or `stop` aborted. One
   * worker of a queue at a time gathers (`turns`).
   */
  next(stop: AbortSignal): Promise<QueuedRequest[] | undefined> {
    // A request carried over from the last merge is this worker's already: it must not wait behind
    // a worker parked in `take` for a queue that is empty because this one holds the request.
    if (this.carried) return this.gather(stop);
    const gathered = (turns.get(this.queue) ?? Promise.resolve()).then(() => this.gather(stop));
    turns.set(this.queue, gathered.catch(() => undefined));
    return gathered;
  }

  private async gather(stop: AbortSignal): Promise<QueuedRequest[] | undefined> {
    const first = this.carried ?? (await this.queue.take(stop));
    this.carried = undefined;
    if (!first) return undefined;
    const batch = [first];
    let records = first.items;
    let bytes = first.bytes.byteLength;
    while (this.merging() && !stop.aborted) {
      const next = await this.queue.poll();
      if (!next) break;
      if (records + next.items > this.limits.maxRecords || bytes + next.bytes.byteLength > this.limits.maxBytes) {
        this.carried = next;
        break;
      }
      batch.push(next);
      records += next.items;
      bytes += next.bytes.byteLength;
    }
    return batch;
  }

  /** A request polled but not yet sent (it stays held by this worker; shutdown leaves it queued). */
  get holding(): QueuedRequest | undefined {
    return this.carried;
  }
}

/** What one delivery attempt of a merged request came to. */
export type AttemptResult = 'done' | 'stopped' | 'poison';

/**
 * Delivers `batch` with `attempt`; when the backend refuses a merged request for good (`poison`: a
 * non-retryable 4xx such as 400 or 413 says nothing of it was accepted), halves it and delivers
 * each half the same way, so that in the end only the request it can never accept is
 * dead-lettered and every other one is delivered. `attempt` must settle a single request itself
 * (it never answers `poison` for one). A poisoned merge costs about 2·log2(n) extra sends; the
 * refused sends delivered nothing, so the halves are no redelivery. Resolves `false` if stopped.
 */
export async function deliverHalving<R>(batch: readonly R[], attempt: (part: readonly R[]) => Promise<AttemptResult>): Promise<boolean> {
  const result = await attempt(batch);
  if (result === 'stopped') return false;
  if (result === 'done') return true;
  if (batch.length < 2) throw new Error('a single request cannot be split further');
  const half = Math.ceil(batch.length / 2);
  if (!(await deliverHalving(batch.slice(0, half), attempt))) return false;
  return deliverHalving(batch.slice(half), attempt);
}
