import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GatewayError } from '../errors.js';

/**
 * One gateway per queue directory. Two gateways sharing a queue would both send every request
 * and delete each other's rows: duplicates and wrong counts. The lock file holds the owner's pid;
 * a lock left by a killed process (pid gone, or our own pid after a container restart) is taken
 * over, so kill -9 never blocks the next start.
 */
export const OWNER_LOCK_FILE = 'gateway-queue.lock';

export function acquireOwnerLock(directory: string): () => void {
  const path = join(directory, OWNER_LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
      return () => release(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = Number.parseInt(readOwner(path), 10);
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
      throw new GatewayError(
        'COMPONENT_START_FAILED',
        `queue directory ${directory} is in use by another gateway (pid ${owner}); give each gateway its own file_storage directory, or delete ${path} if that process is not a gateway`,
      );
    }
    release(path);
  }
  throw new GatewayError('COMPONENT_START_FAILED', `could not take the queue lock ${path}`);
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
