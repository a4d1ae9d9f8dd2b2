/** What the event loop and the WAL fsync thread share (wal-syncer.ts, wal-sync-worker.ts). */

export interface WalSyncInit {
  /** The WAL file. */
  path: string;
  /** Int32 cells: [REQUESTED] written by the event loop, [SYNCED] by this thread, [STOP]. */
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
