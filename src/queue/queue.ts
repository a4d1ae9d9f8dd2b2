import type { Logs } from '../pdata/model.js';
import type { Logger } from '../telemetry/logger.js';

/**
 * The exporter queue seam (docs/architecture.md §4). Two implementations keep the same contract,
 * checked by one suite (test/queue/queue.contract.ts): `MemoryQueue` and the persistent
 * `SqliteQueue`.
 *
 * Invariants every implementation keeps:
 * 1. `enqueue` resolves only once the request is stored as durably as the queue can store it
 *    (SqliteQueue: committed, and fsync'd when fsync is on). A receiver acknowledges after that.
 * 2. A request leaves the queue only through `ack` (the backend accepted it) or `deadLetter`
 *    (permanent error, retries exhausted, corrupt record). `close` never removes anything:
 *    undelivered requests stay for the next start (the Collector's #15677 does the opposite).
 * 3. `size` counts every request still stored, in flight or not, in the unit of the sizer; it
 *    never exceeds `capacity` (a full queue refuses, blocks, or drops by explicit policy).
 * 4. A request is handed to at most one taker at a time, oldest first.
 * 5. Once acked or dead-lettered, a handed-out request is emptied (`emptyRequest`): its `bytes`
 *    are empty and `logs` is unset; id, items and the rest stay.
 */

export type Sizer = 'requests' | 'items' | 'bytes';

/** What to do when an enqueue does not fit. */
export type OverflowPolicy = 'refuse' | 'block' | 'drop_newest';

export interface QueueLimits {
  sizer: Sizer;
  /** Capacity in sizer units. */
  capacity: number;
  overflow: OverflowPolicy;
}

/** What the owner of a persistent queue (an exporter) says about it; the storage decides the rest. */
export interface PersistentQueueOptions extends QueueLimits {
  logger?: Logger;
  /** Called once per stored record that failed its checksum or could not be read. */
  onCorrupt?: () => void;
  /** Bytes this owner's dead letters may hold; past it the oldest go (0 or absent: no bound). */
  deadLetterMaxBytes?: number;
  /** Dead letters removed to make room: requests and their log records. */
  onDeadLetterEvicted?: (requests: number, records: number) => void;
}

export interface EnqueueRequest {
  /** ExportLogsServiceRequest protobuf bytes. */
  readonly bytes: Uint8Array;
  /** Log records in the request. */
  readonly items: number;
  /** The decoded form, if at hand: a memory queue hands it back so nothing is decoded again. */
  readonly logs?: Logs;
  /** Aborts when the client no longer waits: a `block_on_overflow` wait for room then ends (capacity.ts). */
  readonly signal?: AbortSignal;
}

export interface QueuedRequest {
  readonly id: number;
  readonly bytes: Uint8Array;
  readonly items: number;
  /** Send attempts already made and recorded. */
  readonly attempts: number;
  readonly enqueuedAtMs: number;
  /** Stored before this process opened the queue: delivering it may duplicate an earlier send. */
  readonly redelivery: boolean;
  readonly logs?: Logs;
}

/** A dead-lettered request as the admin API and the `queue` command show it. */
export interface DeadLetterEntry {
  id: number;
  reason: string;
  records: number;
  bytes: number;
  attempts: number;
  enqueuedAtMs: number;
  deadLetteredAtMs: number;
  /** The first record's body, at most 200 characters. */
  preview?: string;
}

/** Which dead letters a replay or delete takes: these ids, or every one of this queue. */
export type DeadLetterSelection = { ids: number[] } | { all: true };

/** What a replay or delete moved: requests and their log records. */
export interface DeadLetterCount {
  requests: number;
  records: number;
}

/** `committed`: stored. `dropped`: the queue was full and the overflow policy is drop_newest. */
export type EnqueueOutcome = 'committed' | 'dropped';

export interface Queue {
  /**
   * Store a request. Rejects with RetryableError QUEUE_FULL (throttled) when full and refusing,
   * PermanentError PAYLOAD_TOO_LARGE when the request can never fit, RetryableError
   * QUEUE_CLOSED after close.
   */
  enqueue(request: EnqueueRequest): Promise<EnqueueOutcome>;
  /**
   * The oldest request no one holds; waits for one. `undefined` once the queue is closed or
   * `signal` aborts (a worker stopping leaves the queue open for in-flight acks).
   */
  take(signal?: AbortSignal): Promise<QueuedRequest | undefined>;
  /**
   * Like `take`, but never waits: the oldest request no one holds if one is stored right now,
   * else `undefined`. The exporter's batcher uses it to add what is already queued to a batch.
   */
  poll(): Promise<QueuedRequest | undefined>;
  /** The backend accepted the request: remove it. */
  ack(id: number): Promise<void>;
  /** A send failed and will be retried: record the attempt (the taker keeps holding the request). */
  recordAttempt(id: number): Promise<void>;
  /** Move the request to the dead-letter store with its reason. */
  deadLetter(id: number, reason: string): Promise<void>;
  /**
   * Store records that never were a queued request (the part of a delivered request the backend
   * can never accept) straight in the dead-letter store, as one request. Leaves `size` alone.
   */
  deadLetterNew(bytes: Uint8Array, items: number, reason: string): Promise<void>;
  /** Stored requests, in sizer units (in flight included). */
  size(): number;
  readonly capacity: number;
  /** Requests in the dead-letter store for this queue. */
  deadLetterSize(): number;
  /** Dead letters ordered by id, those with id > `after`, at most `limit`. */
  listDeadLetters(opts: { limit: number; after?: number }): Promise<DeadLetterEntry[]>;
  /**
   * Move dead letters back to the end of the live queue, attempts reset; waiting takers wake, so a
   * running exporter sends them without a restart. They count in `size` (even past capacity).
   */
  replayDeadLetters(sel: DeadLetterSelection): Promise<DeadLetterCount>;
  /** Delete dead letters for good. */
  deleteDeadLetters(sel: DeadLetterSelection): Promise<DeadLetterCount>;
  /** When the oldest live request was enqueued (in flight included), for "oldest queued age". */
  oldestEnqueuedAtMs(): number | undefined;
  /** Stop handing out requests, wake blocked callers, keep everything stored. Idempotent. */
  close(): Promise<void>;
}

/**
 * A request handed out, as the queue implementations keep it: the same object the taker holds,
 * so the queue can empty it.
 */
export interface HandedOut extends QueuedRequest {
  bytes: Uint8Array;
  logs?: Logs;
}

const NO_BYTES = new Uint8Array(0);

/**
 * Drops what a finished request held. Why it matters: every request passes through arrays, maps
 * and sets that outlive it (the queue's FIFO, a batch, the exporter's bookkeeping). When V8
 * reallocates such a container's storage, the old storage, once it has reached the old
 * generation, still points at what it held until the next full mark-compact, and scavenges treat
 * those pointers as live. A request reached that way kept its body alive: 30 KB each, every body
 * at 2600 requests/s, and V8 ran a full GC about once a second, the main cause of the
 * acknowledgement p99 (BENCHMARKS.md, session 7). An emptied request leads nowhere.
 */
export function emptyRequest(request: HandedOut): void {
  request.bytes = NO_BYTES;
  request.logs = undefined;
}

/** Characters of a dead letter's first record body shown as its preview. */
export const PREVIEW_CHARS = 200;

/** The size of one request in sizer units. */
export function sizeOf(sizer: Sizer, request: { items: number; bytes: Uint8Array | number }): number {
  if (sizer === 'requests') return 1;
  if (sizer === 'items') return request.items;
  return typeof request.bytes === 'number' ? request.bytes : request.bytes.byteLength;
}

/** What many requests together weigh in `sizer` units (a table's totals, a replayed selection). */
export function unitsOf(sizer: Sizer, totals: { requests: number; items: number; bytes: number }): number {
  return sizer === 'requests' ? totals.requests : sizer === 'items' ? totals.items : totals.bytes;
}
