import type { StorageInspection } from '../extensions/storage.js';
import type { QueueDatabase } from './database.js';
import { DeadLetterStore } from './dead-letter-store.js';
import type { Queue } from './queue.js';
import { SqliteQueue } from './sqlite-queue.js';

/** A queue opened only to list, replay and delete dead letters: never full, never handed out. */
const INSPECTION_LIMITS = { sizer: 'requests', capacity: Number.MAX_SAFE_INTEGER, overflow: 'refuse' } as const;

/**
 * The `queue` command's view of a database opened offline (file_storage's `inspect`): counts per
 * owner, and each owner's queue for its dead letters. Closing closes the queues, then the file.
 */
export function inspectDatabase(database: QueueDatabase): StorageInspection {
  // Read before any queue opens: opening takes the damage charged to its owner.
  const warnings = database.damageFound.map(
    (d) => `warning: exporter=${d.exporterId} file=${d.file}${d.offset === undefined ? '' : ` offset=${d.offset}`} requests_lost=${d.requests} reason=${JSON.stringify(d.reason)}`,
  );
  const queues = new Map<string, { queue: Queue; deadLettersAtOpen: number }>();
  return {
    path: database.path,
    warnings,
    stats(ownerId) {
      const table = database.queueTable(ownerId, false);
      const live = table
        ? (database.db.prepare(`SELECT count(*) AS n, coalesce(sum(items), 0) AS items, coalesce(sum(size_bytes), 0) AS bytes FROM "${table}"`).get() as { n: number; items: number; bytes: number })
        : { n: 0, items: 0, bytes: 0 };
      const dead = new DeadLetterStore(database.db, ownerId).totals();
      return { queuedRequests: live.n, queuedRecords: live.items, queuedBytes: live.bytes, deadLetterRequests: dead.requests, deadLetterRecords: dead.records };
    },
    queue(ownerId) {
      let entry = queues.get(ownerId);
      if (!entry) {
        const queue = SqliteQueue.create(database, ownerId, INSPECTION_LIMITS);
        queues.set(ownerId, (entry = { queue, deadLettersAtOpen: queue.deadLetterSize() }));
      }
      return entry.queue;
    },
    async close() {
      try {
        let changed = false;
        for (const { queue, deadLettersAtOpen } of queues.values()) {
          changed ||= queue.deadLetterSize() !== deadLettersAtOpen;
          await queue.close();
        }
        // Dead letters purged or replayed: give the pages back now (a listing leaves the file alone).
        if (changed) database.reclaimSpaceNow();
      } finally {
        await database.close();
      }
    },
  };
}
