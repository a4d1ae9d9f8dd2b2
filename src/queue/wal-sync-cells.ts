/** What the event loop and the fsync thread share (wal-syncer.ts, wal-sync-worker.ts). */

export interface WalSyncInit {
  /** The WAL file: slot 0. */
  path: string;
  /** The directory holding the stage log (stage-log.ts): slots 1.. are its segment files. */
  stageDirectory: string;
  /** Int32 cells, see below. */
  cells: SharedArrayBuffer;
}
export interface WalSyncReply {
  /** Every commit numbered up to this is on disk (or, with `error`, failed to get there). */
  upTo: number;
  error?: string;
}

/** Written by the event loop: the number of the latest commit that needs an fsync. */
export const REQUESTED = 0;
/**
 * Claimed by a thread (compare-and-exchange): the commit number the newest fsync round started
 * covers. A thread starts a round only when REQUESTED moved past it, so two threads never fsync
 * for the same commits, and one can start while the other's fsync is in flight.
 */
export const CLAIMED = 1;
export const STOP = 2;
/** How many threads sleep on REQUESTED: only then does a commit pay for a wake-up. */
export const SLEEPING = 3;
/** Per file slot (0 the WAL, 1.. stage segments): the last commit number that wrote to it. */
export const DIRTY = 4;
export const SLOTS = 64;
/** Per file slot: bumped when the file was deleted or created anew, so the thread reopens it. */
export const EPOCH = DIRTY + SLOTS;
export const CELLS = EPOCH + SLOTS;
