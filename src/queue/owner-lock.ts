import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GatewayError } from '../errors.js';

/**
 * One gateway per queue directory. Two gateways sharing a queue would both send every request
 * and delete each other's rows: duplicates and wrong counts. The lock file holds the owner's pid;
 * a lock left by a killed process (pid gone, or our own pid after a container restart) is taken
 * over, so kill -9 never blocks the next start.
 *
 * The `queue` command (queue/cli.ts) takes the lock too when no gateway holds it, for as long as it
 * runs (it may fold a crashed gateway's stage log). It marks the file with its role, and a gateway
 * starting meanwhile waits for it rather than refusing to start: a cron job's `queue stats` must
 * not make a restarting gateway fail.
 */
export const OWNER_LOCK_FILE = 'gateway-queue.lock';

export type LockRole = 'gateway' | 'queue-command';
const COMMAND_MARK = 'queue-command';

/** How long a starting gateway waits for a `queue` command to finish before it gives up. */
export const WAIT_FOR_COMMAND_MS = 30_000;
const POLL_MS = 50;

export function acquireOwnerLock(directory: string, role: LockRole = 'gateway', waitForCommandMs = WAIT_FOR_COMMAND_MS): () => void {
  const path = join(directory, OWNER_LOCK_FILE);
  const content = role === 'gateway' ? String(process.pid) : `${process.pid} ${COMMAND_MARK}`;
  const deadline = Date.now() + waitForCommandMs;
  let waitedForContent = false;
  for (let takeovers = 0; takeovers < 2; ) {
    try {
      writeFileSync(path, content, { flag: 'wx' });
      return () => release(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const text = readOwner(path);
    if (text === '' && !waitedForContent) {
      // Created but not yet written by its owner (writeFileSync opens, then writes): look again.
      waitedForContent = true;
      sleep(POLL_MS);
      continue;
    }
    const [pidText, mark] = text.split(/\s+/);
    const owner = Number.parseInt(pidText ?? '', 10);
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
      if (mark === COMMAND_MARK && role === 'gateway' && Date.now() < deadline) {
        sleep(POLL_MS);
        continue;
      }
      const waited = role === 'gateway' ? ` that held it for over ${Math.round(waitForCommandMs / 1000)} s` : '';
      const holder = mark === COMMAND_MARK ? `a "make-otel-gateway queue" command (pid ${owner})${waited}` : `another gateway (pid ${owner})`;
      throw new GatewayError(
        'COMPONENT_START_FAILED',
        `queue directory ${directory} is in use by ${holder}; give each gateway its own file_storage directory, or delete ${path} if that process is not a gateway`,
      );
    }
    release(path);
    takeovers++;
  }
  throw new GatewayError('COMPONENT_START_FAILED', `could not take the queue lock ${path}`);
}

/**
 * A synchronous pause: taking the lock happens while the queue opens, which is synchronous (the
 * whole start-up of a persistent exporter waits on it anyway).
 */
function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function readOwner(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function release(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
