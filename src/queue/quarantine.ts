import type { Logger } from '../telemetry/logger.js';
import type { CapacityGate } from './capacity.js';
import type { QueueDatabase } from './database.js';
import type { DeadLetterMoves } from './dead-letter-moves.js';
import type { QueueTable, Row } from './queue-table.js';
import { unitsOf, type QueueLimits } from './queue.js';

/**
 * What the persistent queue does with stored records it cannot trust (docs/architecture.md §8):
 * a row that fails its checksum is moved to the dead letters, one SQLite cannot read is deleted,
 * stage-log damage found at open is reported; each is counted (`onCorrupt`) and logged as
 * QUEUE_CORRUPT_RECORD, and the queue carries on: never a crash loop.
 */
export class Quarantine {
  constructor(
    private readonly parts: {
      exporterId: string;
      sizer: QueueLimits['sizer'];
      logger: Logger;
      gate: CapacityGate;
      rows: () => QueueTable;
      deadLetters: () => DeadLetterMoves;
      onCorrupt?: () => void;
    },
  ) {}

  /** What a crashed run left damaged in the stage log, found when the database was opened. */
  reportDamageAtOpen(database: QueueDatabase): void {
    const { exporterId, logger } = this.parts;
    for (const damage of database.takeDamageAtOpen(exporterId)) {
      this.count(damage.requests);
      logger.error('stage log damaged: records lost; a dead-letter entry describes the range (QUEUE_CORRUPT_RECORD)', {
        exporter: exporterId,
        file: damage.file,
        ...(damage.offset === undefined ? {} : { offset: damage.offset, bytes: damage.bytes }),
        requests: damage.requests,
      });
    }
    const corrupt = database.staging.takeCorruptAtOpen(exporterId);
    if (corrupt > 0) {
      this.count(corrupt);
      logger.warn('records left in the stage log failed their integrity check; moved to the dead-letter store (QUEUE_CORRUPT_RECORD)', { exporter: exporterId, records: corrupt });
    }
  }

  /** A row that failed its integrity check: to the dead letters, or dropped if even that fails. */
  async row(row: Row, problem: string): Promise<void> {
    this.count(1);
    this.parts.logger.warn('skipping a stored queue record that failed its integrity check (QUEUE_CORRUPT_RECORD)', {
      exporter: this.parts.exporterId,
      record: row.id,
      problem,
    });
    try {
      await this.parts.deadLetters().fromTable(row.id, `corrupt record: ${problem}`);
    } catch {
      this.dropUnreadable(row.id, problem);
      return;
    }
    this.resyncSize();
  }

  /** A row SQLite cannot even read: delete it if possible, count it, move on. */
  dropUnreadable(id: number, detail: string): void {
    this.count(1);
    this.parts.logger.error('dropping an unreadable queue record (QUEUE_CORRUPT_RECORD)', { exporter: this.parts.exporterId, record: id, error: detail });
    try {
      this.parts.rows().removeSync(id);
    } catch {
      // The page is beyond repair; the cursor has moved past it, which is all that matters.
    }
    this.resyncSize();
  }

  private count(records: number): void {
    for (let i = 0; i < records; i++) this.parts.onCorrupt?.();
  }

  /** After removing a row whose sizes cannot be trusted, recount from the table. */
  private resyncSize(): void {
    try {
      const totals = this.parts.rows().totals();
      const units = unitsOf(this.parts.sizer, { requests: totals.n, items: totals.items, bytes: totals.bytes });
      const excess = this.parts.gate.size() - units;
      if (excess > 0) this.parts.gate.release(excess);
    } catch {
      // Keep the old count: over-counting only refuses earlier, it loses nothing.
    }
  }
}
