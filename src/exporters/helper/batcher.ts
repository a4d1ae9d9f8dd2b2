import { onAbort } from '../../abort-hooks.js';
import type { Queue, QueuedRequest } from '../../queue/queue.js';
import type { BatchConfig } from './config.js';

/**
 * `sending_queue.batch`: one loop takes requests from the queue and groups them, and up to
 * `num_consumers` batches are sent at once. Grouping happens after the queue has committed (and the
 * receiver acknowledged) every request, so it adds no acknowledgement latency; each request stays
 * stored until the batch holding it is delivered or dead-lettered. Concatenated
 * ExportLogsServiceRequest messages are themselves one valid request (its only field,
 * `resource_logs`, is repeated), so a batch of protobuf requests is sent without re-encoding.
 */

export interface BatcherOptions {
  queue: Queue;
  config: BatchConfig;
  /** Batches in flight at most (`num_consumers`). */
  consumers: number;
  stop: AbortSignal;
  /** Delivers (or dead-letters) one batch; must not throw. */
  send(batch: QueuedRequest[]): Promise<void>;
  now?: () => number;
}

/** The size of one request in the batch's sizer units. */
export function batchUnits(sizer: BatchConfig['sizer'], request: Pick<QueuedRequest, 'items' | 'bytes'>): number {
  if (sizer === 'requests') return 1;
  if (sizer === 'items') return request.items;
  return request.bytes.byteLength;
}

export async function runBatcher(options: BatcherOptions): Promise<void> {
  const { queue, config, stop } = options;
  const now = options.now ?? Date.now;
  const inFlight = new Set<Promise<void>>();
  /** Taken while a batch was being filled but too big for it: it opens the next batch. */
  let carried: QueuedRequest | undefined;
  for (;;) {
    while (inFlight.size >= options.consumers) await Promise.race(inFlight);
    if (stop.aborted) break;
    const first = carried ?? (await queue.take(stop));
    carried = undefined;
    if (!first || stop.aborted) break;
    const batch = [first];
    let size = batchUnits(config.sizer, first);
    const deadline = now() + config.flush_timeout;
    /** Ends at the flush deadline (or stop): made at the first wait, shared by the batch's waits. */
    let window: FillWindow | undefined;
    try {
      while (size < config.min_size) {
        let next = await queue.poll();
        if (!next) {
          // Waiting for min_size while the queue is half full would fill it, and the receiver would
          // refuse (429) while the backend keeps up: small requests (1000 of one record each fill
          // the default queue and are an eighth of min_size 8192) go now.
          if (halfFull(queue)) break;
          const remaining = deadline - now();
          if (remaining <= 0) break;
          window ??= new FillWindow(remaining, stop);
          next = await queue.take(window.signal);
          if (!next) break;
        }
        const units = batchUnits(config.sizer, next);
        if (config.max_size > 0 && size + units > config.max_size) {
          carried = next;
          break;
        }
        batch.push(next);
        size += units;
      }
    } finally {
      window?.close();
    }
    const sending: Promise<void> = options.send(batch).finally(() => inFlight.delete(sending));
    inFlight.add(sending);
  }
  await Promise.all(inFlight);
}

/**
 * The time left to fill one batch: aborts after `ms` or when `stop` does. One controller and timer
 * per batch rather than per wait (a batch of 8192 records waits up to 80 times: the controllers and
 * timers were 2 % of the event loop), unhooked from the long-lived `stop` when the batch is done
 * (abort-hooks.ts).
 */
class FillWindow {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly unhook: () => void;

  constructor(ms: number, stop: AbortSignal) {
    const abort = () => this.controller.abort();
    this.timer = setTimeout(abort, ms);
    this.unhook = onAbort(stop, abort);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  close(): void {
    clearTimeout(this.timer);
    this.unhook();
  }
}

/** Stored requests (held ones included) take half the queue's capacity or more. */
function halfFull(queue: Queue): boolean {
  return queue.size() * 2 >= queue.capacity;
}

/** The request bytes of a batch: concatenation is a merge for ExportLogsServiceRequest. */
export function concatRequests(batch: readonly QueuedRequest[]): Uint8Array {
  if (batch.length === 1) return batch[0]!.bytes;
  return Buffer.concat(batch.map((r) => r.bytes));
}
