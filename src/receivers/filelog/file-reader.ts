import type { FileHandle } from 'node:fs/promises';
import type { SplitEntry, Splitter } from './splitter.js';

/**
 * Reads one file from its acknowledged offset to its end, in chunks, handing complete entries on
 * in batches; the caller commits each batch and only then moves the file's offset. Memory stays
 * bounded by one chunk, one batch and one unfinished entry (≤ max_log_size), whatever the file's
 * size. An unterminated last line is held until it has not grown for `force_flush_period`.
 */

/** Bytes read per call: large enough that a 1 GB file is a few thousand reads. */
export const READ_CHUNK_BYTES = 256 * 1024;
/** Entries per batch handed downstream (one commit and one checkpoint write each). */
export const BATCH_MAX_ENTRIES = 1000;
/** ... or fewer when they are large. */
export const BATCH_MAX_BYTES = 1024 * 1024;

export interface Batch {
  entries: SplitEntry[];
  /** The file offset right after the last entry of the batch. */
  endOffset: number;
}

export interface TailState {
  /** Length of the unterminated tail at the last look, and since when it has had that length. */
  length: number;
  sinceMs: number;
}

export async function readBatches(
  fh: FileHandle,
  fromOffset: number,
  splitter: Splitter,
  o: {
    tail: { get(): TailState | undefined; set(s: TailState | undefined): void };
    forceFlushMs: number;
    /** The file was renamed away or deleted: nothing more comes, its tail is final now. */
    final: boolean;
    shouldStop: () => boolean;
  },
  deliver: (batch: Batch) => Promise<boolean>,
): Promise<void> {
  const chunk = Buffer.allocUnsafe(READ_CHUNK_BYTES);
  let readPos = fromOffset;
  let pending = Buffer.alloc(0);
  let pendingOffset = fromOffset;
  let entries: SplitEntry[] = [];
  let bytes = 0;
  let delivered = fromOffset;
  const flush = async (endOffset = pendingOffset): Promise<boolean> => {
    const batch = { entries, endOffset };
    entries = [];
    bytes = 0;
    delivered = batch.endOffset;
    return deliver(batch);
  };
  for (;;) {
    if (o.shouldStop()) return;
    const { bytesRead } = await fh.read(chunk, 0, READ_CHUNK_BYTES, readPos);
    if (bytesRead === 0) break;
    readPos += bytesRead;
    pending = pending.length === 0 ? Buffer.from(chunk.subarray(0, bytesRead)) : Buffer.concat([pending, chunk.subarray(0, bytesRead)]);
    const res = splitter.split(pending, false);
    const base = pendingOffset;
    pending = pending.subarray(res.consumed);
    pendingOffset += res.consumed;
    // Cut batches inside the chunk, at the entry that fills one: a chunk holds thousands of short
    // lines, and the batch whose offset a kill -9 catches unwritten is read again (at most one).
    const split = res.entries;
    for (let i = 0; i < split.length; i++) {
      const e = split[i]!;
      entries.push(e);
      bytes += e.value.length;
      const full = entries.length >= BATCH_MAX_ENTRIES || bytes >= BATCH_MAX_BYTES;
      // Pieces of one over-long entry share its end: the batch ends after the last of them.
      if (full && i + 1 < split.length && split[i + 1]!.end !== e.end && !(await flush(base + e.end))) return;
    }
    if ((entries.length >= BATCH_MAX_ENTRIES || bytes >= BATCH_MAX_BYTES) && !(await flush(pendingOffset))) return;
  }
  if (pending.length > 0) {
    const seen = o.tail.get();
    const now = Date.now();
    if (o.final || (seen && seen.length === pending.length && now - seen.sinceMs >= o.forceFlushMs)) {
      const res = splitter.split(pending, true);
      entries.push(...res.entries);
      pendingOffset += res.consumed;
      o.tail.set(undefined);
    } else if (!seen || seen.length !== pending.length) o.tail.set({ length: pending.length, sinceMs: now });
  } else o.tail.set(undefined);
  if (entries.length > 0 || pendingOffset > delivered) await flush();
}
