import { statSync } from 'node:fs';
import type { Logger } from '../telemetry/logger.js';
import type { QueueDatabase } from './database.js';
import { isDiskFull } from './disk-reserve.js';
import type { QueueTable } from './queue-table.js';

/** Reclaim on drain only when it is worth a checkpoint: 256 free pages (1 MiB at 4 KiB pages)… */
const RECLAIM_MIN_FREE_PAGES = 256;
/** …or a WAL larger than this. */
const RECLAIM_MIN_WAL_BYTES = 4 * 1024 * 1024;

/**
 * What happens to the rows of delivered requests (docs/architecture.md §8): deleted, not durably
 * (a delete lost to a power cut redelivers, a duplicate, never a loss); on a full disk parked and
 * deleted together once there is room; and once the queue drains, space given back to the file
 * system when that is worth a checkpoint.
 */
export class DeliveredDeletes {
  /** Rows of delivered requests whose delete failed (a full disk): deleted later, together. */
  private readonly parked = new Set<number>();
  private retrying = false;

  constructor(
    private readonly database: QueueDatabase,
    private readonly rows: QueueTable,
    private readonly logger: Logger,
    private readonly ownerId: string,
  ) {}

  /** Whether this row's delete is parked (it still exists). */
  isParked(rowId: number): boolean {
    return this.parked.has(rowId);
  }

  /** Not durable: a delete lost to a power cut redelivers the request. */
  deleteRow(rowId: number): Promise<unknown> {
    return this.database.write(() => this.rows.removeSync(rowId), { durable: false });
  }

  /**
   * Delete the row of a delivered request. On a full disk (the delete needs room in the WAL), the
   * spare file gives its space back and the delete runs again; if that still fails, the row is
   * parked and deleted with the others in one write once there is room (`retry`). Never throws:
   * the request was delivered, the queue moves on; only a crash before the delete sends it again.
   */
  async delete(rowId: number): Promise<void> {
    try {
      await this.deleteRow(rowId);
      return;
    } catch (err) {
      if (isDiskFull(err) && this.database.reserve?.release()) {
        this.logger.warn('queue disk full: freed the spare file to delete delivered requests', { exporter: this.ownerId, spare: this.database.reserve.path });
        try {
          await this.deleteRow(rowId);
          return;
        } catch {
          // parked below
        }
      }
      if (this.parked.size === 0) this.logger.warn('could not delete delivered requests from the queue; retrying', { exporter: this.ownerId, error: (err as Error).message });
      this.parked.add(rowId);
    }
  }

  /** Delete the parked rows, all in one write (the queue's timer calls this). */
  retry(): void {
    if (this.parked.size === 0 || this.retrying) return;
    const ids = [...this.parked];
    this.retrying = true;
    this.database
      .write(() => ids.forEach((id) => this.rows.removeSync(id)), { durable: false })
      .then(
        () => {
          for (const id of ids) {
            this.parked.delete(id);
            this.rows.skipRows.delete(id);
          }
          this.logger.info('deleted the delivered requests parked while the disk was full', { exporter: this.ownerId, requests: ids.length });
        },
        () => {
          if (this.database.reserve?.held) this.database.reserve.release();
        },
      )
      .finally(() => (this.retrying = false));
  }

  /** At close: one last try; what still fails is sent again after the next start. */
  async flush(): Promise<void> {
    if (this.parked.size === 0) return;
    const ids = [...this.parked];
    await this.database.write(() => ids.forEach((id) => this.rows.removeSync(id)), { durable: false }).catch((err: Error) =>
      this.logger.warn('delivered requests whose delete failed stay stored; the next start sends them again', { exporter: this.ownerId, requests: ids.length, error: err.message }),
    );
  }

  /** The queue drained: give space back when worth it; the last ack resolves after. Never throws. */
  async reclaim(): Promise<void> {
    try {
      const free = this.database.db.pragma('freelist_count', { simple: true }) as number;
      let walBytes = 0;
      try {
        walBytes = statSync(`${this.database.path}-wal`).size;
      } catch {
        // no WAL file: nothing to truncate
      }
      if (free >= RECLAIM_MIN_FREE_PAGES || walBytes >= RECLAIM_MIN_WAL_BYTES) await this.database.reclaimSpace();
    } catch (err) {
      this.logger.warn('could not give queue disk space back', { exporter: this.ownerId, error: (err as Error).message });
    }
  }
}
