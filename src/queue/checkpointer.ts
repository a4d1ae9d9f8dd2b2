import type { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import type { CheckpointReply, CheckpointRequest, CheckpointWorkerInit } from './checkpoint-worker.js';
import { spawnQueueWorker } from './spawn-worker.js';

/**
 * Keeps WAL checkpoints off the event loop. With SQLite's auto-checkpoint, the commit that crosses
 * 1000 WAL pages copies them into the database file and fsyncs it, inline: 5-20 ms during which
 * the gateway neither reads requests nor answers them (BENCHMARKS.md). Here the writing connection
 * has auto-checkpoint off, and a worker thread with its own connection runs PASSIVE checkpoints
 * shortly after writes. Durability is unchanged: a PASSIVE checkpoint syncs the WAL before copying
 * and the database file after, so when the writer restarts the WAL it only overwrites frames
 * already durable in the database file; the WAL file itself is never replaced.
 *
 * The writer restarts the WAL (writes it from the start again) only at a transaction that finds
 * every frame copied, which non-stop commits never let happen. So once `maxWalBytes` were committed
 * since the last restart, the database holds its commits back (`holding`) while the thread copies
 * what is left, typically a few milliseconds of writes; the next commit then restarts the WAL. The
 * event loop keeps receiving and sending meanwhile; only acknowledgements wait. If the thread
 * fails, the connection goes back to SQLite's auto-checkpoint.
 */

/** Wait after a write before checkpointing, so one checkpoint covers many group commits. */
const CHECKPOINT_DELAY_MS = 50;
/**
 * Longest a hold may last: a checkpoint stuck on a stalled disk must not hold acknowledgements
 * forever (the WAL then grows instead, as it would without the hold).
 */
const MAX_HOLD_MS = 5_000;
/** SQLite's own auto-checkpoint threshold, restored if the thread fails. */
const AUTO_CHECKPOINT_PAGES = 1000;

export interface CheckpointerOptions {
  db: Database.Database;
  path: string;
  pragmas: string[];
  /** Bytes committed since the WAL last restarted after which commits wait for a full checkpoint. */
  maxWalBytes: number;
  /** Commits may go on (after a hold). */
  onResume: () => void;
  onError: (message: string) => void;
}

export class Checkpointer {
  private worker?: Worker;
  private stopped = false;
  /** Bytes committed since the WAL last restarted (about). */
  private walBytes = 0;
  private hold = false;
  /** A `wrote` notice is with the thread and not answered yet: later commits need none of their own. */
  private noticed = false;
  private holdTimer?: NodeJS.Timeout;

  constructor(private readonly options: CheckpointerOptions) {
    options.db.pragma('wal_autocheckpoint = 0');
    try {
      this.worker = spawnQueueWorker('checkpoint-worker', { path: options.path, pragmas: options.pragmas, intervalMs: CHECKPOINT_DELAY_MS } satisfies CheckpointWorkerInit);
    } catch (err) {
      this.fail((err as Error).message);
      return;
    }
    this.worker.unref();
    this.worker.on('message', (reply: CheckpointReply) => this.onReply(reply));
    this.worker.on('error', (err) => this.fail(err.message));
    this.worker.on('exit', (code) => this.stopped || this.fail(`checkpointer thread exited with code ${code}`));
  }

  /** True while commits must wait for the full checkpoint that lets the WAL restart. */
  get holding(): boolean {
    return this.hold;
  }

  /** Call after each commit, with about how many bytes it wrote. */
  wrote(bytes: number): void {
    if (!this.worker) return;
    this.walBytes += bytes;
    if (this.walBytes >= this.options.maxWalBytes) {
      this.hold = true;
      this.holdTimer = setTimeout(() => {
        this.options.onError(`WAL checkpoint took over ${MAX_HOLD_MS} ms; commits go on without waiting for it`);
        this.walBytes = 0;
        this.release();
      }, MAX_HOLD_MS).unref();
      this.worker.postMessage('restart' satisfies CheckpointRequest);
    } else if (!this.noticed) {
      // One message per checkpoint instead of one per commit (2 % of the event loop under load).
      this.noticed = true;
      this.worker.postMessage('wrote' satisfies CheckpointRequest);
    }
  }

  /** Ends the thread after its current checkpoint; committed data needs nothing from it. */
  async close(): Promise<void> {
    this.stopped = true;
    this.release();
    const worker = this.worker;
    this.worker = undefined;
    if (!worker) return;
    worker.removeAllListeners('error');
    await new Promise<void>((resolve) => {
      worker.once('exit', () => resolve());
      worker.postMessage('close' satisfies CheckpointRequest);
    });
  }

  private onReply(reply: CheckpointReply): void {
    this.noticed = false;
    if (reply.error) this.options.onError(`WAL checkpoint failed: ${reply.error}`);
    if (!reply.restart || !this.hold) return;
    // Every frame copied, none written since (commits were held): the next commit restarts the
    // WAL. If a reader kept the checkpoint from finishing, try again after as much writing again.
    this.walBytes = !reply.error && reply.log === reply.checkpointed ? 0 : this.options.maxWalBytes / 2;
    this.release();
  }

  private release(): void {
    if (!this.hold) return;
    this.hold = false;
    clearTimeout(this.holdTimer);
    this.options.onResume();
  }

  private fail(message: string): void {
    if (this.stopped) return;
    this.stopped = true;
    this.worker = undefined;
    this.options.onError(`${message}; WAL checkpoints are back on the event loop (SQLite auto-checkpoint)`);
    try {
      this.options.db.pragma(`wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`);
    } catch {
      // The connection is closed: nothing left to checkpoint.
    }
    this.release();
  }
}
