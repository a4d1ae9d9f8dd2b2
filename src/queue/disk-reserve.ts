import { closeSync, existsSync, openSync, statfsSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Disk space kept back for the writes that free space: acknowledgements (row deletes) and dead
 * letters. On a full disk, a DELETE still needs room in SQLite's write-ahead log; without it acks
 * failed, delivered requests stayed in flight for the life of the process, the queue gauge froze
 * and, after the disk grew, everything was delivered again (117 % duplicates, issue #16). So:
 * - a spare file, `gateway-queue.spare` (SPARE_BYTES of allocated zeros), is kept in the directory
 *   while there is room for it; when a write fails because the disk is full it is deleted, and
 *   the failed deletes run again in the space it gave back;
 * - moving the stage log's backlog into SQLite (a write that takes space) waits while the free
 *   space is below what it needs plus a margin (`hasRoomFor`);
 * - once free space is back above the spare plus the margin, the spare is made again.
 * `freeBytes` is injectable: the unit tests simulate a full disk without filling one.
 */

export const SPARE_FILE = 'gateway-queue.spare';
export const SPARE_BYTES = 8 * 1024 * 1024;
/** Free space that the backlog move and the spare leave untouched, for new requests' commits. */
export const MARGIN_BYTES = 4 * 1024 * 1024;
const CHUNK = Buffer.alloc(1024 * 1024);

export type FreeBytes = (directory: string) => number;

export const statfsFreeBytes: FreeBytes = (directory) => {
  const s = statfsSync(directory);
  return s.bavail * s.bsize;
};

export class DiskReserve {
  private present = false;

  constructor(
    readonly directory: string,
    private readonly freeBytes: FreeBytes = statfsFreeBytes,
    private readonly spareBytes = SPARE_BYTES,
  ) {
    // Left by an earlier run: it is ours to give back (a restart on a full disk needs exactly that).
    this.present = existsSync(this.path);
  }

  get path(): string {
    return join(this.directory, SPARE_FILE);
  }

  /** Whether the spare file is in place. */
  get held(): boolean {
    return this.present;
  }

  /** Make the spare when there is room for it and the margin; true when it is in place. Never throws. */
  ensure(): boolean {
    if (this.present) return true;
    if (this.free() < this.spareBytes + MARGIN_BYTES) return false;
    let fd: number | undefined;
    try {
      fd = openSync(this.path, 'w');
      for (let at = 0; at < this.spareBytes; at += CHUNK.length) writeSync(fd, CHUNK, 0, Math.min(CHUNK.length, this.spareBytes - at), at);
      this.present = true;
    } catch {
      this.unlink();
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    return this.present;
  }

  /** The disk is full: give the spare's space back. True when that freed something. */
  release(): boolean {
    if (!this.present) return false;
    this.present = false;
    return this.unlink();
  }

  /** Whether a write of `bytes` leaves the margin free (and the spare, once made, possible). */
  hasRoomFor(bytes: number): boolean {
    return this.free() >= bytes + MARGIN_BYTES;
  }

  private free(): number {
    try {
      return this.freeBytes(this.directory);
    } catch {
      return Number.POSITIVE_INFINITY; // no statfs here: behave as before, never throttle
    }
  }

  private unlink(): boolean {
    try {
      unlinkSync(this.path);
      return true;
    } catch {
      return false;
    }
  }
}

/** SQLite's "database or disk is full", or the file system's ENOSPC / EDQUOT. */
export function isDiskFull(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === 'SQLITE_FULL' || e?.code === 'ENOSPC' || e?.code === 'EDQUOT' || /disk is full|ENOSPC/.test(e?.message ?? '');
}
