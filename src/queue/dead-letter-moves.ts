import { crc32 } from 'node:zlib';
import type { QueueDatabase } from './database.js';
import type { DeadLetterStore, MovedTotals } from './dead-letter-store.js';
import type { QueueTable } from './queue-table.js';
import type { DeadLetterCount, DeadLetterSelection } from './queue.js';
import type { Staged } from './staged-requests.js';

/**
 * The persistent queue's moves into and out of its dead letters (dead-letter-store.ts), each one
 * write in the database's group commit so a move is never half done: a row of the table, a staged
 * request (whose stage space is freed only after the commit), a request refused before it was
 * queued, and a replay back into the table.
 */
export class DeadLetterMoves {
  constructor(
    private readonly database: QueueDatabase,
    private readonly rows: QueueTable,
    readonly store: DeadLetterStore,
  ) {}

  /** A row of the table: copied into `dead_letter` and deleted in one transaction. */
  async fromTable(rowId: number, reason: string): Promise<void> {
    const evicted = await this.database.write(() => {
      const result = this.store.addFromTableSync(this.rows.name, rowId, reason);
      this.rows.removeSync(rowId);
      return result;
    });
    this.store.added(evicted);
  }

  /** A staged request (its bytes in memory and in the stage log); the caller forgets it after. */
  async fromStage(s: Staged, reason: string): Promise<void> {
    const evicted = await this.database.write(() => this.store.addSync({ payload: s.payload, items: s.items, checksum: s.checksum, attempts: s.attempts, enqueuedAt: s.enqueuedAt, reason }));
    this.database.staging.unstage(s.at);
    this.store.added(evicted);
  }

  /** A request that was never queued (refused as a whole before enqueue). */
  async fromNew(bytes: Uint8Array, items: number, reason: string): Promise<void> {
    const payload = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const evicted = await this.database.write(() => this.store.addSync({ payload, items, checksum: crc32(payload), attempts: 0, enqueuedAt: Date.now(), reason }));
    this.store.added(evicted);
  }

  /**
   * The selected dead letters become rows at the end of the table, attempts reset; the cursor reads
   * them like any new row. Returns what moved, for the queue's capacity accounting.
   */
  async replay(sel: DeadLetterSelection): Promise<MovedTotals> {
    const moved = await this.database.write(() => this.store.replayIntoSync(this.rows.name, sel));
    this.store.removed(moved);
    if (moved.requests > 0) this.rows.refreshMaxId();
    return moved;
  }

  async delete(sel: DeadLetterSelection): Promise<DeadLetterCount> {
    const removed = await this.database.write(() => this.store.deleteSync(sel), { durable: false });
    this.store.removed(removed);
    return removed;
  }
}
