import { closeSync, ftruncateSync, openSync, readFileSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { GatewayError } from '../errors.js';

/**
 * One gateway per queue directory. Two gateways sharing a queue would both send every request
 * and delete each other's rows: duplicates and wrong counts. The lock file holds the owner's pid
 * and its start time (field 22 of /proc/<pid>/stat, clock ticks since boot): a lock left by a
 * killed process is taken over (pid gone, our own pid after a container restart, or a pid the
 * system gave to an unrelated process since, which has another start time), so kill -9 never
 * blocks the next start. A lock file of an older gateway (pid only) is judged by its pid alone.
 *
 * A stale lock is taken over by rewriting the file in place, not by deleting and creating it: a
 * few bytes in a block the file has already, so a restart on a full disk still gets its lock.
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
  const start = processStartTime(process.pid);
  const self = start === undefined ? String(process.pid) : `${process.pid} ${start}`;
  const content = role === 'gateway' ? self : `${self} ${COMMAND_MARK}`;
  const deadline = Date.now() + waitForCommandMs;
  let waitedForContent = false;
  for (let takeovers = 0; takeovers < 2; ) {
    try {
      writeFileSync(path, content, { flag: 'wx' });
      return () => release(path, content);
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
    const { owner, ownerStart, mark } = parseOwner(text);
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner, ownerStart)) {
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
    // Stale: ours now, written over in place (see the header comment); then read back, so of two
    // processes taking it over at once, the one whose write did not last tries again.
    if (overwrite(path, content) && readOwner(path) === content) return () => release(path, content);
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

function parseOwner(text: string): { owner: number; ownerStart?: string; mark?: string } {
  const [pidText, second, third] = text.split(/\s+/);
  const owner = Number.parseInt(pidText ?? '', 10);
  if (second !== undefined && /^\d+$/.test(second)) return { owner, ownerStart: second, mark: third };
  return { owner, mark: second };
}

/** Whether `pid` runs, and is the process that wrote the lock (same start time) when that is known. */
function isAlive(pid: number, start?: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (start === undefined) return true;
  const now = processStartTime(pid);
  // No /proc to ask (not Linux): the pid alone decides, as it did before.
  return now === undefined || now === start;
}

/**
 * The live gateway that holds the directory's lock, if any (a `queue` command holding it, a stale
 * lock or no lock: undefined). The `queue` command asks it to find a running gateway's admin API.
 */
export function runningGatewayPid(directory: string): number | undefined {
  const { owner, ownerStart, mark } = parseOwner(readOwner(join(directory, OWNER_LOCK_FILE)));
  if (!Number.isInteger(owner) || owner <= 0 || mark === COMMAND_MARK || owner === process.pid) return undefined;
  return isAlive(owner, ownerStart) ? owner : undefined;
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot), or undefined. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = fields[19];
    return start !== undefined && /^\d+$/.test(start) ? start : undefined;
  } catch {
    return undefined;
  }
}

/** Replace the file's content without creating it: false when it cannot (gone meanwhile). */
function overwrite(path: string, content: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'r+');
  } catch {
    return false;
  }
  try {
    // Write first, then cut: truncating to 0 first would free the block the write then needs.
    const bytes = Buffer.from(content);
    writeSync(fd, bytes, 0, bytes.length, 0);
    ftruncateSync(fd, bytes.length);
    return true;
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}

/** Delete the lock, if it is still ours (a process that took it over as stale keeps it). */
function release(path: string, content: string): void {
  if (readOwner(path) !== content) return;
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
