import type { CreateSettings, Host } from '../../pipeline/component.js';
import { extensionAs } from '../../extensions/capabilities.js';
import type { StorageExtension } from '../../extensions/storage.js';
import { MemoryQueue } from '../../queue/memory-queue.js';
import type { OverflowPolicy, Queue, QueueLimits } from '../../queue/queue.js';
import type { Logger } from '../../telemetry/logger.js';
import type { ExporterHelperConfig } from './config.js';

/** An exporter's sending queue, and what shutdown needs to know of it. */
export interface ProvidedQueue {
  readonly queue: Queue;
  /** Kept across restarts (a storage extension's): shutdown then needs no drain. */
  readonly persistent: boolean;
  /** Log records a shutdown now would lose (0 for a persistent queue). */
  unsentRecords(): number;
}

/**
 * Where an exporter's queue comes from (docs/architecture.md §5): with `sending_queue.storage`,
 * the storage extension of that id opens it (`openQueue`); without, an in-memory queue. The
 * exporter codes against the `Queue` interface alone.
 */
/** `ownerId`: the exporter's id, or `EXPORTERID#traces` / `EXPORTERID#metrics` for its other signals (signal-exporter.ts). */
export function provideQueue(settings: CreateSettings, host: Host, config: ExporterHelperConfig['sending_queue'], limits: QueueLimits, ownerId = settings.id): ProvidedQueue {
  const telemetry = settings.telemetry;
  const onDeadLetterEvicted = (_requests: number, records: number) => telemetry.deadLetterEvicted.inc({ exporter: settings.id }, records);
  if (config.storage === undefined) {
    const queue = new MemoryQueue(limits, { deadLetterMaxBytes: config.dead_letter_max_bytes, onDeadLetterEvicted });
    return { queue, persistent: false, unsentRecords: () => queue.storedItems() };
  }
  const storage = extensionAs<StorageExtension>(host, config.storage, 'storage', `exporters.${settings.id}.sending_queue.storage`);
  const queue = storage.openQueue(ownerId, {
    ...limits,
    logger: settings.logger.child({ exporter: settings.id }),
    onCorrupt: () => telemetry.queueCorrupt.inc({ exporter: settings.id }),
    deadLetterMaxBytes: config.dead_letter_max_bytes,
    onDeadLetterEvicted,
  });
  return { queue, persistent: true, unsentRecords: () => 0 };
}

/**
 * At an exporter's start: its sending queue when `sending_queue.enabled` (limits from the config),
 * a backlog an earlier run left logged; undefined without a queue. Every signal's exporter
 * (exporter.ts, signal-exporter.ts) starts its queue this way.
 */
export function openSendingQueue(settings: CreateSettings, host: Host, config: ExporterHelperConfig['sending_queue'], logger: Logger, ownerId = settings.id): ProvidedQueue | undefined {
  if (!config.enabled) return undefined;
  const provided = provideQueue(settings, host, config, { sizer: config.sizer, capacity: config.queue_size, overflow: overflowOf(config) }, ownerId);
  const queued = provided.queue.size();
  if (provided.persistent && queued > 0) logger.info('resuming delivery of stored requests', { queued });
  return provided;
}

/** Starts the sender after the queue; a sender that cannot start closes the queue again. */
export async function startSender(sender: { start?(host: Host): Promise<void> }, host: Host, queue: Queue | undefined): Promise<void> {
  try {
    await sender.start?.(host);
  } catch (err) {
    await queue?.close();
    throw err;
  }
}

function overflowOf(config: ExporterHelperConfig['sending_queue']): OverflowPolicy {
  if (config.block_on_overflow) return 'block';
  return config.overflow_policy === 'drop_newest' ? 'drop_newest' : 'refuse';
}
