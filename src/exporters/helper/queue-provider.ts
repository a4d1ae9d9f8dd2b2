import type { CreateSettings, Host } from '../../pipeline/component.js';
import { extensionAs } from '../../extensions/capabilities.js';
import type { StorageExtension } from '../../extensions/storage.js';
import { MemoryQueue } from '../../queue/memory-queue.js';
import type { Queue, QueueLimits } from '../../queue/queue.js';
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
