import type { ComponentConfig, GatewayConfig } from '../config/validate.js';
import type { BatchConfig as QueueBatchConfig, SendingQueueConfig } from '../exporters/helper/config.js';
import type { BatchConfig as ProcessorBatchConfig } from '../processors/batch/config.js';

/**
 * Where a `batch` processor's batching happens (docs/delivery.md, "Batching and acknowledgement
 * latency").
 *
 * A client is answered only once every exporter queue committed its records, so a batch processor
 * that holds records for `timeout` holds the reply too: with `timeout: 10s` an OpenTelemetry SDK
 * client (10 s export timeout by default) gives up, resends, and the backend sees duplicates.
 *
 * - When every exporter of a pipeline has a persistent queue (`sending_queue.storage`), batching
 *   moves behind the queue, as the Collector's exporter batching does: the processor hands each
 *   request on at once (the reply waits only for the durable commit), and its `send_batch_size`,
 *   `send_batch_max_size` and `timeout` become the exporters' `sending_queue.batch` (`min_size`,
 *   `max_size`, `flush_timeout`, sizer `items`), unless an exporter sets its own.
 * - Otherwise the processor batches in front of the queues as before: an in-memory queue would lose
 *   on a crash what it holds once acknowledged, while records held by the processor are not yet
 *   acknowledged and are resent by the client. The price is latency: `timeout` above
 *   BATCH_HOLD_WARN_MS is warned about at `validate` and at start.
 */

/** Above this a held reply nears the OpenTelemetry SDK exporters' 10 s default export timeout. */
export const BATCH_HOLD_WARN_MS = 5_000;

export interface BatchPlacement {
  /** Pipelines whose batch processors hand requests on at once (their batching is behind the queue). */
  readonly behindQueue: ReadonlySet<string>;
  /** Exporter id → the `sending_queue.batch` derived from a batch processor in front of it. */
  readonly exporterBatch: ReadonlyMap<string, QueueBatchConfig>;
  /** One line per pipeline whose batch processor holds replies longer than BATCH_HOLD_WARN_MS. */
  readonly warnings: readonly string[];
}

export function planBatchPlacement(config: GatewayConfig): BatchPlacement {
  const behindQueue = new Set<string>();
  const exporterBatch = new Map<string, QueueBatchConfig>();
  const warnings: string[] = [];
  for (const p of config.service.pipelines) {
    // Traces and metrics batch behind the queue always (processors/batch/signal-processor.ts).
    if ((p.signal ?? 'logs') !== 'logs') continue;
    const batchIds = p.processors.filter((id) => config.processors.get(id)?.factory.type === 'batch');
    if (batchIds.length === 0) continue;
    const notPersistent = p.exporters.filter((id) => !hasPersistentQueue(config.exporters.get(id)));
    if (notPersistent.length === 0) {
      behindQueue.add(p.id);
      // The last batch processor shapes the send batches: it is the one nearest the exporters.
      const shape = config.processors.get(batchIds[batchIds.length - 1]!)!.config as ProcessorBatchConfig;
      for (const id of p.exporters) {
        const own = sendingQueueOf(config.exporters.get(id))?.batch;
        if (own === undefined && !exporterBatch.has(id)) exporterBatch.set(id, queueBatchOf(shape));
      }
      continue;
    }
    for (const id of batchIds) {
      const timeoutMs = (config.processors.get(id)!.config as ProcessorBatchConfig).timeout;
      if (timeoutMs <= BATCH_HOLD_WARN_MS) continue;
      warnings.push(
        `service.pipelines.${p.id}: processor ${id} holds each client's reply for up to its timeout (${timeoutMs / 1000}s) because ` +
          `exporter(s) ${notPersistent.join(', ')} have no persistent sending_queue; OpenTelemetry SDK clients give up after 10s and resend. ` +
          `Set the timeout to ${BATCH_HOLD_WARN_MS / 1000}s or less, or give every exporter sending_queue.storage (batching then happens behind the queue; see docs/delivery.md)`,
      );
    }
  }
  return { behindQueue, exporterBatch, warnings };
}

/**
 * The processor's config when its batching happens behind the queue: no timeout and no size cap
 * means one batch per request, which the processor hands on unchanged (its counters still count).
 */
export function passThroughBatchConfig(config: ProcessorBatchConfig): ProcessorBatchConfig {
  return { ...config, timeout: 0, send_batch_max_size: 0 };
}

/** The exporter's config with the derived `sending_queue.batch`. */
export function withQueueBatch<C extends { sending_queue: SendingQueueConfig }>(config: C, batch: QueueBatchConfig): C {
  return { ...config, sending_queue: { ...config.sending_queue, batch } };
}

export function queueBatchOf(c: ProcessorBatchConfig): QueueBatchConfig {
  // send_batch_size 0 means "only the timeout sends": no size reaches it.
  const minSize = c.send_batch_size > 0 ? c.send_batch_size : c.send_batch_max_size > 0 ? c.send_batch_max_size : Number.MAX_SAFE_INTEGER;
  return { flush_timeout: c.timeout, sizer: 'items', min_size: minSize, max_size: c.send_batch_max_size };
}

export function sendingQueueOf(exporter: ComponentConfig | undefined): SendingQueueConfig | undefined {
  return (exporter?.config as { sending_queue?: SendingQueueConfig } | undefined)?.sending_queue;
}

function hasPersistentQueue(exporter: ComponentConfig | undefined): boolean {
  const q = sendingQueueOf(exporter);
  return q !== undefined && q.enabled && q.storage !== undefined;
}
