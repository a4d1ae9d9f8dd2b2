import type { Logs } from '../../pdata/model.js';
import { countLogRecords } from '../../pdata/model.js';
import { untilAborted } from '../../pipeline/cancellation.js';
import type { Component, CreateSettings, Host, LogsConsumer } from '../../pipeline/component.js';
import type { BatchConfig } from './config.js';
import { appendLogs, sliceLogs } from './slicing.js';

/**
 * Merges incoming requests into batches and sends a batch when it reaches `send_batch_size`
 * records or when `timeout` has passed since its first record.
 *
 * Why this differs from the Collector: the Collector's batch processor answers its caller as
 * soon as the records sit in its in-memory batch, before any exporter has them, so a crash or a
 * refusing exporter loses acknowledged data (opentelemetry-collector #12711,
 * opentelemetry-collector-contrib #37843). Here every caller's `consume()` settles only when all
 * batches holding its records have been consumed downstream: it resolves when all succeeded and
 * rejects with the first failing batch's error. Every caller in a failed batch gets that error and
 * will resend, so records of callers sharing the batch may arrive twice (at-least-once), never
 * zero times.
 *
 * Holding records holds the replies: where every exporter has a persistent queue the service runs
 * this processor with `timeout: 0` and no size cap, and its settings shape the queues' send
 * batches instead (src/pipeline/batch-placement.ts). A caller whose signal aborts stops waiting
 * (a retryable error); its records stay in the batch, so its resend may arrive twice, never zero times.
 */
export class BatchProcessor implements Component, LogsConsumer {
  private current = newBatch();
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: BatchConfig,
    private readonly next: LogsConsumer,
  ) {}

  async start(_host: Host): Promise<void> {}

  consume(logs: Logs, signal?: AbortSignal): Promise<void> {
    const total = countLogRecords(logs);
    if (total === 0) return Promise.resolve();
    this.settings.telemetry.processorIncoming.inc({ processor: this.settings.id }, total);
    // After shutdown there is no timer to flush a batch, so hand the request straight on. Without a
    // timeout or a size cap a batch is exactly one request: hand it on unchanged (no copy, and the
    // receiver's wire bytes stay usable).
    if (this.stopped || (this.config.timeout === 0 && this.config.send_batch_max_size === 0)) return this.forward(logs, total, signal);
    return untilAborted(this.hold(logs), signal);
  }

  private hold(logs: Logs): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const caller: Caller = { pending: 0, failed: false, resolve, reject };
      const max = this.config.send_batch_max_size;
      const room = max > 0 ? max - this.current.count : Infinity;
      for (const piece of sliceLogs(logs, room, max > 0 ? max : Infinity)) {
        appendLogs(this.current.logs, piece.logs);
        this.current.count += piece.count;
        if (!this.current.callers.has(caller)) {
          this.current.callers.add(caller);
          caller.pending++;
        }
        if (this.isFull()) this.flush();
      }
      if (this.current.count > 0) {
        if (this.config.timeout === 0) this.flush();
        else this.timer ??= setTimeout(() => this.onTimeout(), this.config.timeout);
      }
    });
  }

  /** Sends what is pending and waits for every batch in flight. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    if (this.current.count > 0) this.flush();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private isFull(): boolean {
    const { send_batch_size: size, send_batch_max_size: max } = this.config;
    return (size > 0 && this.current.count >= size) || (max > 0 && this.current.count >= max);
  }

  private onTimeout(): void {
    this.timer = undefined;
    if (this.current.count > 0) this.flush();
  }

  private flush(): void {
    const batch = this.current;
    this.current = newBatch();
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.settings.telemetry.processorOutgoing.inc({ processor: this.settings.id }, batch.count);
    const sent = consumeSafely(this.next, batch.logs).then(
      () => {
        for (const c of batch.callers) if (--c.pending === 0 && !c.failed) c.resolve();
      },
      (err: unknown) => {
        for (const c of batch.callers) {
          c.pending--;
          if (!c.failed) {
            c.failed = true;
            c.reject(err);
          }
        }
      },
    );
    this.inFlight.add(sent);
    void sent.finally(() => this.inFlight.delete(sent));
  }

  private async forward(logs: Logs, total: number, signal: AbortSignal | undefined): Promise<void> {
    this.settings.telemetry.processorOutgoing.inc({ processor: this.settings.id }, total);
    await this.next.consume(logs, signal);
  }
}

/** A consumer that throws instead of rejecting must still settle every caller. */
function consumeSafely(next: LogsConsumer, logs: Logs): Promise<void> {
  try {
    return next.consume(logs);
  } catch (err) {
    return Promise.reject(err);
  }
}

/** One consume() call waiting on the batches that hold its records. */
interface Caller {
  pending: number;
  failed: boolean;
  resolve(): void;
  reject(err: unknown): void;
}

interface Batch {
  logs: Logs;
  count: number;
  callers: Set<Caller>;
}

function newBatch(): Batch {
  return { logs: { resourceLogs: [] }, count: 0, callers: new Set() };
}
