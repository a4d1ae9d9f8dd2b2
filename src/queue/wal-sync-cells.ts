/** What the event loop and the WAL fsync thread share (wal-syncer.ts, wal-sync-worker.ts). */

export interface WalSyncInit {
  /** The WAL file. */
  path: string;
  /** Int32 cells: [REQUESTED] written by the event loop, [SYNCED] and [SLEEPING] by this thread, [STOP]. */
  cells: SharedArrayBuffer;
}
export interface WalSyncReply {
  /** Every commit numbered up to this is on disk (or, with `error`, failed to get there). */
  upTo: number;
  error?: string;
}

export const REQUESTED = 0;
export const SYNCED = 1;
export const STOP = 2;
/** 1 while the thread sleeps on REQUESTED: only then does a commit pay for a wake-up. */
export const SLEEPING = 3;
export const CELLS = 4;
