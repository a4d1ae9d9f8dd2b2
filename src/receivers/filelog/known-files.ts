import type { StorageClient } from '../../extensions/storage.js';

/**
 * What the receiver remembers about every file it has read, keyed by fingerprint (the file's first
 * `fingerprint_size` bytes), as the contrib fileconsumer: a file is recognised by its content, not
 * by its name or inode, so a renamed file (rename rotation) or a copy of it (copytruncate's copy)
 * continues where reading stopped, and a truncated or new file at the same path starts afresh.
 *
 * Stored under one key of the storage client as JSON `{v: 1, files: [{fp, offset}]}`, written only
 * after the pipeline acknowledged the entries before `offset` (ack after commit): a restart
 * neither loses nor repeats lines, apart from the one batch a crash may catch between the
 * pipeline's commit and this write (at-least-once).
 */

export const CHECKPOINT_KEY = 'file_input.knownFiles';
const VERSION = 1;
/** Files forgotten after this many polls without a sighting (contrib's polls_to_archive idea). */
export const FORGET_AFTER_POLLS = 3;

export interface KnownFile {
  fingerprint: Buffer;
  /** Bytes of the file the pipeline has acknowledged. */
  offset: number;
  /** Polls since the file was last matched by the include globs. */
  unseenPolls: number;
}

/** Same file when one fingerprint is a prefix of the other (the file grew since, or was truncated). */
export function sameFingerprint(a: Buffer, b: Buffer): boolean {
  const n = Math.min(a.length, b.length);
  return n > 0 && a.subarray(0, n).equals(b.subarray(0, n));
}

export async function loadKnownFiles(storage: StorageClient): Promise<KnownFile[]> {
  const text = await storage.get(CHECKPOINT_KEY);
  if (!text) return [];
  try {
    const parsed = JSON.parse(text) as { v?: number; files?: { fp?: unknown; offset?: unknown }[] };
    if (parsed.v !== VERSION || !Array.isArray(parsed.files)) return [];
    return parsed.files
      .filter((f) => typeof f.fp === 'string' && typeof f.offset === 'number')
      .map((f) => ({ fingerprint: Buffer.from(f.fp as string, 'base64'), offset: f.offset as number, unseenPolls: 0 }));
  } catch {
    return [];
  }
}

export async function saveKnownFiles(storage: StorageClient, files: readonly KnownFile[]): Promise<void> {
  const body = { v: VERSION, files: files.map((f) => ({ fp: f.fingerprint.toString('base64'), offset: f.offset })) };
  await storage.set(CHECKPOINT_KEY, JSON.stringify(body));
}
