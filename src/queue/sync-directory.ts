import { closeSync, fsyncSync, openSync } from 'node:fs';

/** fsync a directory, so the entries of files created in it survive a power cut. */
export function syncDirectory(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
