import { closeSync, fsyncSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { StageLog } from './stage-log.js';
import { syncDirectory } from './sync-directory.js';
import { DIRTY, EPOCH, REQUESTED, SLEEPING, SLOTS, STOP, SYNCED, type WalSyncInit, type WalSyncReply } from './wal-sync-cells.js';

/**
 * The queue database's fsync thread (wal-syncer.ts). It sleeps on a shared counter; when the event
 * loop has committed past what is synced, it fsyncs every file written since (the WAL, stage log
 * segments) and reports how far that covered. Commits made during one round are covered by the
 * next, which starts the moment this one returns: the fsync loop never waits for a busy event loop.
 */

const port = parentPort!;
const init = workerData as WalSyncInit;
const cells = new Int32Array(init.cells);
const fds: (number | undefined)[] = new Array(SLOTS).fill(undefined);
const epochs: number[] = new Array(SLOTS).fill(0);
const synced: number[] = new Array(SLOTS).fill(0);

const pathOf = (slot: number) => (slot === 0 ? init.path : StageLog.path(init.stageDirectory, slot));

/** The slot's file, reopened when the event loop recreated or deleted it; undefined when gone. */
function fileOf(slot: number): number | undefined {
  const epoch = Atomics.load(cells, EPOCH + slot);
  if (fds[slot] !== undefined && epochs[slot] === epoch) return fds[slot];
  if (fds[slot] !== undefined) closeSync(fds[slot]);
  fds[slot] = undefined;
  epochs[slot] = epoch;
  const path = pathOf(slot);
  try {
    fds[slot] = openSync(path, 'r');
  } catch (err) {
    // A stage segment deleted since (it is deleted only once nothing in it is waiting): done.
    if (slot !== 0 && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  // Once per file: its directory entry, so the synced file itself survives a power cut.
  syncDirectory(dirname(path));
  return fds[slot];
}

function syncRound(): void {
  for (let slot = 0; slot < SLOTS; slot++) {
    // Deleted files: let go of them, so their space goes back to the file system.
    if (fds[slot] !== undefined && epochs[slot] !== Atomics.load(cells, EPOCH + slot) && Atomics.load(cells, DIRTY + slot) === synced[slot]) {
      closeSync(fds[slot]!);
      fds[slot] = undefined;
    }
    const dirty = Atomics.load(cells, DIRTY + slot);
    if (dirty === synced[slot]) continue;
    const fd = fileOf(slot);
    if (fd !== undefined) fsyncSync(fd);
    synced[slot] = dirty;
  }
}

for (;;) {
  const done = Atomics.load(cells, SYNCED);
  Atomics.store(cells, SLEEPING, 1);
  Atomics.wait(cells, REQUESTED, done);
  Atomics.store(cells, SLEEPING, 0);
  if (Atomics.load(cells, STOP) !== 0) break;
  const target = Atomics.load(cells, REQUESTED);
  if (target === done) continue;
  let error: string | undefined;
  try {
    syncRound();
  } catch (err) {
    error = (err as Error).message;
  }
  Atomics.store(cells, SYNCED, target);
  port.postMessage({ upTo: target, error } satisfies WalSyncReply);
}
for (const fd of fds) if (fd !== undefined) closeSync(fd);
port.close();
