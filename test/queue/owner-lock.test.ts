import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireOwnerLock, OWNER_LOCK_FILE, processStartTime } from '../../src/queue/owner-lock.js';

const ours = () => `${process.pid} ${processStartTime(process.pid)}`;

const dirs: string[] = [];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'owner-lock-'));
  dirs.push(d);
  return d;
}

/** A live process that is not us, to stand in as the lock's holder. */
function liveProcess(): number {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  children.push(child);
  return child.pid!;
}

/** Another process that holds the lock as a `queue` command for `ms`, then lets it go. */
async function queueCommandHolding(dir: string, ms: number): Promise<void> {
  const lock = join(dir, OWNER_LOCK_FILE);
  const script = `require('fs').writeFileSync(${JSON.stringify(lock)}, process.pid + ' queue-command', { flag: 'wx' }); process.stdout.write('held\\n'); setTimeout(() => { require('fs').unlinkSync(${JSON.stringify(lock)}); process.exit(0); }, ${ms});`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
}

describe('queue directory owner lock', () => {
  it('a starting gateway waits for a running `queue` command to let go, then owns the directory', async () => {
    const dir = tempDir();
    await queueCommandHolding(dir, 400);
    const t0 = Date.now();
    const unlock = acquireOwnerLock(dir);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(200);
    expect(readFileSync(join(dir, OWNER_LOCK_FILE), 'utf8')).toBe(ours());
    unlock();
  });

  it('gives up on a `queue` command that holds on past the wait, saying which process it is', async () => {
    const dir = tempDir();
    const pid = liveProcess();
    writeFileSync(join(dir, OWNER_LOCK_FILE), `${pid} queue-command`);
    expect(() => acquireOwnerLock(dir, 'gateway', 300)).toThrow(new RegExp(`"make-otel-gateway queue" command \\(pid ${pid}\\) that held it for over 0 s`));
  });

  it('refuses at once when another gateway holds the directory', () => {
    const dir = tempDir();
    const pid = liveProcess();
    writeFileSync(join(dir, OWNER_LOCK_FILE), String(pid));
    const t0 = Date.now();
    expect(() => acquireOwnerLock(dir)).toThrow(new RegExp(`in use by another gateway \\(pid ${pid}\\)`));
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('a `queue` command does not wait for a running gateway (it reads without the lock instead)', () => {
    const dir = tempDir();
    writeFileSync(join(dir, OWNER_LOCK_FILE), String(liveProcess()));
    expect(() => acquireOwnerLock(dir, 'queue-command')).toThrow(/in use by another gateway/);
  });

  it('takes over a lock whose holder is gone, whatever its role', () => {
    for (const mark of ['', ' queue-command']) {
      const dir = tempDir();
      // Above Linux's largest pid (2^22): no such process.
      writeFileSync(join(dir, OWNER_LOCK_FILE), `999999999${mark}`);
      const unlock = acquireOwnerLock(dir);
      expect(readFileSync(join(dir, OWNER_LOCK_FILE), 'utf8')).toBe(ours());
      unlock();
    }
  });

  it('takes over a lock whose pid now belongs to an unrelated live process (another start time)', () => {
    const dir = tempDir();
    const pid = liveProcess();
    const start = processStartTime(pid);
    expect(start).toMatch(/^\d+$/);
    // Written by a process that had this pid before: same pid, earlier start.
    writeFileSync(join(dir, OWNER_LOCK_FILE), `${pid} ${Number(start) - 1}`);
    const unlock = acquireOwnerLock(dir);
    expect(readFileSync(join(dir, OWNER_LOCK_FILE), 'utf8')).toBe(ours());
    unlock();
    expect(existsSync(join(dir, OWNER_LOCK_FILE))).toBe(false);
  });

  it('still refuses when the pid and start time match a live gateway', () => {
    const dir = tempDir();
    const pid = liveProcess();
    writeFileSync(join(dir, OWNER_LOCK_FILE), `${pid} ${processStartTime(pid)}`);
    expect(() => acquireOwnerLock(dir)).toThrow(new RegExp(`in use by another gateway \\(pid ${pid}\\)`));
  });

  it('takes a stale lock over by rewriting the file in place, never creating one (a full disk)', () => {
    const dir = tempDir();
    const path = join(dir, OWNER_LOCK_FILE);
    writeFileSync(path, '999999999 12345');
    const inode = statSync(path).ino;
    const unlock = acquireOwnerLock(dir);
    expect(statSync(path).ino).toBe(inode);
    expect(readFileSync(path, 'utf8')).toBe(ours());
    unlock();
  });
});
