import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

/**
 * The queue database's checkpointer thread (checkpointer.ts): copies committed WAL frames into the
 * database file, with SQLite's own fsyncs of both files, beside the event loop instead of on it.
 * After a write notice it waits `intervalMs` (so one checkpoint covers many commits) and runs a
 * PASSIVE checkpoint (it never blocks the writer); asked to `restart`, it checkpoints at once while
 * the writer holds its commits back, and reports whether every frame was copied.
 */

export interface CheckpointWorkerInit {
  path: string;
  pragmas: string[];
  intervalMs: number;
}
/** `wrote`: checkpoint soon. `restart`: commits are held; checkpoint everything now. */
export type CheckpointRequest = 'wrote' | 'restart' | 'close';
export interface CheckpointReply {
  /** The answer to a `restart` request. */
  restart: boolean;
  /** Frames in the WAL and frames of it already in the database file, after this checkpoint. */
  log: number;
  checkpointed: number;
  error?: string;
}

const port = parentPort!;
const init = workerData as CheckpointWorkerInit;
const db = new Database(init.path, { fileMustExist: true });
for (const p of init.pragmas) db.pragma(p);
let timer: NodeJS.Timeout | undefined;

function checkpoint(restart: boolean): void {
  if (timer) clearTimeout(timer);
  timer = undefined;
  try {
    const [row] = db.pragma('wal_checkpoint(PASSIVE)') as { log: number; checkpointed: number }[];
    port.postMessage({ restart, log: row?.log ?? 0, checkpointed: row?.checkpointed ?? 0 } satisfies CheckpointReply);
  } catch (err) {
    port.postMessage({ restart, log: -1, checkpointed: -1, error: (err as Error).message } satisfies CheckpointReply);
  }
}

port.on('message', (message: CheckpointRequest) => {
  if (message === 'close') {
    if (timer) clearTimeout(timer);
    db.close();
    port.close();
    return;
  }
  if (message === 'restart') checkpoint(true);
  else timer ??= setTimeout(() => checkpoint(false), init.intervalMs);
});
