import { RetryableError } from '../../errors.js';
import type { ClientInfo } from '../../pdata/client-info.js';
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
  /** Batches being filled, by the values of `metadata_keys` (one shard, key '', without them). */
  private readonly shards = new Map<string, Shard>();
  private readonly metadataKeys: readonly string[];
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: BatchConfig,
    private readonly next: LogsConsumer,
  ) {
    this.metadataKeys = config.metadata_keys.map((k) => k.toLowerCase());
  }

  async start(_host: Host): Promise<void> {}

  consume(logs: Logs, signal?: AbortSignal): Promise<void> {
    const total = countLogRecords(logs);
    if (total === 0) return Promise.resolve();
    this.settings.telemetry.processorIncoming.inc({ processor: this.settings.id }, total);
    // After shutdown there is no timer to flush a batch, so hand the request straight on. Without a
    // timeout or a size cap a batch is exactly one request: hand it on unchanged (no copy, and the
    // receiver's wire bytes stay usable).
    if (this.stopped || (this.config.timeout === 0 && this.config.send_batch_max_size === 0)) return this.forward(logs, total, signal);
    let shard: Shard;
    try {
      shard = this.shardFor(logs.client);
    } catch (err) {
      return Promise.reject(err);
    }
    return untilAborted(this.hold(shard, logs), signal);
  }

  /**
   * The shard for a request, as the Collector's batch processor with `metadata_keys`: requests
   * whose clients sent the same values of those keys are batched together, and the batch carries
   * those values (only those) as its client, so headers_setter and the routing connector further
   * down still see them. Without `metadata_keys` a merged batch has no client, as in the Collector.
   */
  private shardFor(client: ClientInfo | undefined): Shard {
    const values = this.metadataKeys.map((k) => client?.metadata?.get(k) ?? []);
    const key = this.metadataKeys.length === 0 ? '' : JSON.stringify(values);
    let shard = this.shards.get(key);
    if (shard) return shard;
    const limit = this.config.metadata_cardinality_limit;
    if (this.metadataKeys.length > 0 && limit > 0 && this.shards.size >= limit) {
      throw new RetryableError(`batch: ${limit} combinations of metadata_keys values are already waiting in batches (metadata_cardinality_limit)`);
    }
    const metadata = new Map<string, string[]>();
    this.metadataKeys.forEach((k, i) => {
      if (values[i]!.length > 0) metadata.set(k, [...values[i]!]);
    });
    shard = { key, batch: newBatch(metadata.size > 0 ? { metadata } : undefined), timer: undefined };
    this.shards.set(key, shard);
    return shard;
  }

  private hold(shard: Shard, logs: Logs): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const caller: Caller = { pending: 0, failed: false, resolve, reject };
      const max = this.config.send_batch_max_size;
      const room = max > 0 ? max - shard.batch.count : Infinity;
      for (const piece of sliceLogs(logs, room, max > 0 ? max : Infinity)) {
        appendLogs(shard.batch.logs, piece.logs);
        shard.batch.count += piece.count;
        if (!shard.batch.callers.has(caller)) {
          shard.batch.callers.add(caller);
          caller.pending++;
        }
        if (this.isFull(shard.batch)) this.flush(shard);
      }
      if (shard.batch.count > 0) {
        if (this.config.timeout === 0) this.flush(shard);
        else shard.timer ??= setTimeout(() => this.onTimeout(shard), this.config.timeout);
      }
      this.retire(shard);
    });
  }

  /** Sends what is pending and waits for every batch in flight. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    for (const shard of [...this.shards.values()]) if (shard.batch.count > 0) this.flush(shard);
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private isFull(batch: Batch): boolean {
    const { send_batch_size: size, send_batch_max_size: max } = this.config;
    return (size > 0 && batch.count >= size) || (max > 0 && batch.count >= max);
  }

  private onTimeout(shard: Shard): void {
    shard.timer = undefined;
    if (shard.batch.count > 0) this.flush(shard);
    this.retire(shard);
  }

  /** An empty shard with no timer is forgotten, so metadata_cardinality_limit counts waiting batches only. */
  private retire(shard: Shard): void {
    if (shard.batch.count === 0 && !shard.timer && this.shards.get(shard.key) === shard) this.shards.delete(shard.key);
  }

  private flush(shard: Shard): void {
    const batch = shard.batch;
    shard.batch = newBatch(batch.logs.client);
    if (shard.timer) {
      clearTimeout(shard.timer);
      shard.timer = undefined;
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

interface Shard {
  readonly key: string;
  batch: Batch;
  timer: NodeJS.Timeout | undefined;
}

function newBatch(client: ClientInfo | undefined): Batch {
  return { logs: client ? { resourceLogs: [], client } : { resourceLogs: [] }, count: 0, callers: new Set() };
}
