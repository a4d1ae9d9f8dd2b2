import { closeSync, fsyncSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { REQUESTED, SLEEPING, STOP, SYNCED, type WalSyncInit, type WalSyncReply } from './wal-sync-cells.js';

/**
 * The queue database's fsync thread (wal-syncer.ts). It sleeps on a shared counter; when the event
 * loop has committed past what is synced, it fsyncs the WAL file and reports how far that covered.
 * Commits made during one fsync are covered by the next, which starts the moment this one returns:
 * the fsync loop never waits for a busy event loop to come around.
 */

const port = parentPort!;
const init = workerData as WalSyncInit;
const cells = new Int32Array(init.cells);
let fd: number | undefined;

function syncOnce(): void {
  if (fd === undefined) {
    fd = openSync(init.path, 'r');
    // Once: the WAL file's directory entry, so the synced file itself survives a power cut.
    const dir = openSync(dirname(init.path), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  }
  fsyncSync(fd);
}

for (;;) {
  const synced = Atomics.load(cells, SYNCED);
  Atomics.store(cells, SLEEPING, 1);
  Atomics.wait(cells, REQUESTED, synced);
  Atomics.store(cells, SLEEPING, 0);
  if (Atomics.load(cells, STOP) !== 0) break;
  const target = Atomics.load(cells, REQUESTED);
  if (target === synced) continue;
  let error: string | undefined;
  try {
    syncOnce();
  } catch (err) {
    error = (err as Error).message;
  }
  Atomics.store(cells, SYNCED, target);
  port.postMessage({ upTo: target, error } satisfies WalSyncReply);
}
if (fd !== undefined) closeSync(fd);
port.close();
