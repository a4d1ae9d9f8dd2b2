import { closeSync, fsyncSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { StageLog } from './stage-log.js';
import { syncDirectory } from './sync-directory.js';
import { CLAIMED, DIRTY, EPOCH, REQUESTED, SLEEPING, SLOTS, STOP, type WalSyncInit, type WalSyncReply } from './wal-sync-cells.js';

/**
 * One of the queue database's fsync threads (wal-syncer.ts). It sleeps on a shared counter; when
 * the event loop has committed past the newest round started, it claims a round, fsyncs every file
 * written since its own last round (the WAL, stage log segments) and reports how far that covered.
 * Commits made during a round are claimed by the other thread at once, so a second fsync starts
 * while the first is in flight (two rounds at most); the fsync loop never waits for a busy event
 * loop. Each thread has its own descriptors and its own record of what it synced: a round covers
 * every write made before it started, whichever thread synced the same file before.
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

/** The next round's target: a commit number no round covers yet, claimed; undefined to stop. */
function claim(): number | undefined {
  for (;;) {
    if (Atomics.load(cells, STOP) !== 0) return undefined;
    const claimed = Atomics.load(cells, CLAIMED);
    const requested = Atomics.load(cells, REQUESTED);
    if (requested !== claimed) {
      if (Atomics.compareExchange(cells, CLAIMED, claimed, requested) === claimed) return requested;
      continue;
    }
    Atomics.add(cells, SLEEPING, 1);
    Atomics.wait(cells, REQUESTED, claimed);
    Atomics.sub(cells, SLEEPING, 1);
  }
}

for (;;) {
  const target = claim();
  if (target === undefined) break;
  let error: string | undefined;
  try {
    syncRound();
  } catch (err) {
    error = (err as Error).message;
  }
  port.postMessage({ upTo: target, error } satisfies WalSyncReply);
}
for (const fd of fds) if (fd !== undefined) closeSync(fd);
port.close();
