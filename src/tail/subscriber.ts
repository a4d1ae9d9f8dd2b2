import type { Predicate } from '../ottl/index.js';
import type { TailRecord } from './tail-record.js';

/**
 * One live-tail subscriber: a bounded buffer between the tap (synchronous, on the pipeline's path)
 * and the HTTP writer (asynchronous, at the client's pace).
 *
 * Invariants (docs/architecture.md §4, "never slowing the pipeline"):
 * - The tap never waits and never allocates more than `bufferRecords` records for a subscriber.
 * - Sampling under load: each subscriber gets at most `ratePerSecond` matching records (a token
 *   bucket with one second of burst); matching records over that are counted in `dropped`, and
 *   reported to the client at most once per `DROPPED_REPORT_INTERVAL_MS`.
 * - A client that does not read even the sampled stream fills its buffer: it is cut off at once
 *   (`slow_subscriber`, with the reason), its buffer is released, and the tap forgets it.
 * - Every subscriber ends with exactly one `end` event (limit reached, cut off, shutdown), unless
 *   the client itself went away.
 */

/** Why a tail ended; `code` is stable, `reason` is for people. */
export type TailEndCode = 'limit' | 'slow_subscriber' | 'shutdown';

export type TailEvent =
  | { type: 'record'; record: TailRecord }
  | { type: 'dropped'; dropped: number }
  | { type: 'end'; code: TailEndCode; reason: string; delivered: number; dropped: number };

export interface SubscriberLimits {
  /** Matching records per second handed to this subscriber; more are sampled out (`dropped`). */
  ratePerSecond: number;
  /** Records waiting for the client; one more and the subscriber is cut off. */
  bufferRecords: number;
}

/**
 * A person reads perhaps a few records a second and `jq` a few thousand; 1000/s per subscriber
 * keeps three subscribers' JSON encoding under ~3 % of a core at 20k records/s (BENCHMARKS.md,
 * "Live tail").
 */
export const DEFAULT_TAIL_RATE_PER_SECOND = 1000;
/** One second of records at the default rate: a client that falls a full second behind is cut off. */
export const DEFAULT_TAIL_BUFFER_RECORDS = 1000;
/** Clients hear about sampling about once a second, not once per dropped record. */
export const DROPPED_REPORT_INTERVAL_MS = 1000;

export interface SubscriberOptions extends SubscriberLimits {
  /** The tap it is attached to. */
  pipeline: string;
  processor?: string;
  where?: Predicate;
  /** End after this many records (0 or absent: no limit). */
  limit?: number;
  /** Called once when the subscriber ends or closes, so the tap forgets it. */
  onDetach: (s: TailSubscriber) => void;
  /** Called when a slow subscriber is cut off (metrics). */
  onCutOff?: (s: TailSubscriber) => void;
}

export class TailSubscriber {
  readonly where: Predicate | undefined;
  readonly pipeline: string;
  readonly processor: string | undefined;
  private readonly events: TailEvent[] = [];
  private head = 0;
  private tokens: number;
  private lastRefillMs = performance.now();
  private lastDroppedReportMs = 0;
  private reportedDropped = 0;
  private waiter: ((ev: TailEvent | undefined) => void) | undefined;
  private ended = false;
  private finished = false;
  /** Records accepted into the buffer (what the client gets, unless it is cut off). */
  delivered = 0;
  /** Matching records not delivered because of sampling (see `skip` for the upper-bound case). */
  dropped = 0;

  constructor(private readonly options: SubscriberOptions) {
    this.where = options.where;
    this.pipeline = options.pipeline;
    this.processor = options.processor;
    this.tokens = options.ratePerSecond;
  }

  /** Still taking records. */
  get active(): boolean {
    return !this.ended;
  }

  /** Refills the bucket; true when at least one more record may be delivered now. */
  hasBudget(nowMs: number): boolean {
    const { ratePerSecond } = this.options;
    this.tokens = Math.min(ratePerSecond, this.tokens + ((nowMs - this.lastRefillMs) * ratePerSecond) / 1000);
    this.lastRefillMs = nowMs;
    return !this.ended && this.tokens >= 1;
  }

  /**
   * `n` records passed while every subscriber of the tap was out of budget, so they were not even
   * decoded: counted as dropped (an upper bound when a `where` would have refused some).
   */
  skip(n: number, nowMs: number): void {
    if (this.ended) return;
    this.dropped += n;
    this.reportDroppedIfDue(nowMs);
  }

  /**
   * Whether a matching record would be taken now; if not, it is counted as dropped here, so the
   * tap does not build a view nobody takes (building views was most of the tail's cost).
   */
  wants(nowMs: number): boolean {
    if (this.ended) return false;
    if (this.tokens >= 1) return true;
    this.dropped++;
    this.reportDroppedIfDue(nowMs);
    return false;
  }

  /** A matching record (the tap already built its view). Never waits. */
  accept(record: TailRecord, nowMs: number): void {
    if (this.ended) return;
    if (this.tokens < 1) {
      this.dropped++;
      this.reportDroppedIfDue(nowMs);
      return;
    }
    if (this.events.length - this.head >= this.options.bufferRecords) {
      this.cutOff();
      return;
    }
    this.tokens--;
    this.delivered++;
    this.push({ type: 'record', record });
    const limit = this.options.limit ?? 0;
    if (limit > 0 && this.delivered >= limit) this.end('limit', `limit of ${limit} records reached`);
  }

  /** The next event for the client; `undefined` once the end event was taken (or after `close`). */
  next(): Promise<TailEvent | undefined> {
    const ev = this.take();
    if (ev !== undefined || this.finished) return Promise.resolve(ev);
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  /** Ends the tail with an `end` event after what is already buffered. Idempotent. */
  end(code: TailEndCode, reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.options.onDetach(this);
    this.push({ type: 'end', code, reason, delivered: this.delivered, dropped: this.dropped });
  }

  /** The client went away: release everything, no end event. Idempotent. */
  close(): void {
    if (!this.ended) {
      this.ended = true;
      this.options.onDetach(this);
    }
    this.finished = true;
    this.events.length = 0;
    this.head = 0;
    this.wake(undefined);
  }

  private cutOff(): void {
    const waiting = this.events.length - this.head;
    // The buffered records are released now: a client that cannot keep up gets the reason first.
    this.events.length = 0;
    this.head = 0;
    this.dropped += waiting;
    this.end(
      'slow_subscriber',
      `cut off: the client read too slowly (${waiting} records waiting, buffer of ${this.options.bufferRecords}); the pipeline is never made to wait for a tail`,
    );
    this.options.onCutOff?.(this);
  }

  private reportDroppedIfDue(nowMs: number): void {
    if (this.waiter === undefined || nowMs - this.lastDroppedReportMs < DROPPED_REPORT_INTERVAL_MS) return;
    this.wake(this.droppedEvent(nowMs));
  }

  private droppedEvent(nowMs: number): TailEvent {
    this.lastDroppedReportMs = nowMs;
    this.reportedDropped = this.dropped;
    return { type: 'dropped', dropped: this.dropped };
  }

  private push(ev: TailEvent): void {
    if (this.waiter !== undefined) {
      this.wake(this.takeAfter(ev));
      return;
    }
    this.events.push(ev);
  }

  /** With a waiting reader and nothing buffered, `ev` goes straight out (after a due drop report). */
  private takeAfter(ev: TailEvent): TailEvent {
    const due = this.dropped !== this.reportedDropped && performance.now() - this.lastDroppedReportMs >= DROPPED_REPORT_INTERVAL_MS;
    if (!due) return this.settle(ev);
    this.events.push(ev);
    return this.droppedEvent(performance.now());
  }

  private take(): TailEvent | undefined {
    if (this.head >= this.events.length) return undefined;
    const now = performance.now();
    const next = this.events[this.head]!;
    // Drops are reported before the record that follows them, and always before the end.
    if (this.dropped !== this.reportedDropped && next.type !== 'end' && now - this.lastDroppedReportMs >= DROPPED_REPORT_INTERVAL_MS) {
      return this.droppedEvent(now);
    }
    this.events[this.head++] = undefined as unknown as TailEvent;
    if (this.head === this.events.length) {
      this.events.length = 0;
      this.head = 0;
    }
    return this.settle(next);
  }

  private settle(ev: TailEvent): TailEvent {
    if (ev.type === 'end') {
      this.finished = true;
      this.reportedDropped = this.dropped;
    }
    return ev;
  }

  private wake(ev: TailEvent | undefined): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.(ev);
  }
}
