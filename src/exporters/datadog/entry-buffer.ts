/**
 * Where wire-entries.ts leaves its entries: one buffer, entries separated by `, `, and the request
 * bodies cut from it (docs/architecture.md §10).
 */

export interface WireEntry {
  /** Position of the record in the request (resource → scope → record order, as flattenRecords). */
  readonly index: number;
  /** Where the entry's JSON starts in WireEntries.out. */
  readonly start: number;
  /** Its length in bytes. */
  readonly bytes: number;
}

export interface WireEntries {
  entries: WireEntry[];
  /** Records whose entry cannot fit Datadog's 1 MB even with an empty message. */
  unfit: number[];
  records: number;
  /** The entries' bytes, each preceded by a space and followed by a comma (batchBody). */
  out: Buffer;
  /** Byte ranges of `out` handed out as bodies, as [from, to) pairs (batchBody). */
  lent: number[];
}

/** One entry's JSON text. */
export function entryJson(w: WireEntries, e: WireEntry): string {
  return w.out.toString('utf8', e.start, e.start + e.bytes);
}

const OPEN = 0x5b, CLOSE = 0x5d;
export const COMMA = 0x2c, SPACE = 0x20;
/** Between two entries in `out`: `, ` (a space is valid JSON there, and gives each boundary two bytes). */
export const SEPARATOR_BYTES = 2;

/**
 * The request body for a batch of entries: a JSON array. Consecutive entries whose boundaries are
 * untouched are sent in place — the space before the first becomes `[`, the comma after the last
 * `]` — without a copy (copying and allocating the body was a tenth of the exporter's walk,
 * BENCHMARKS.md, issue 23). A batch whose bytes overlap a body already handed out (the halves of a
 * batch refused as too large) is copied instead, so no body given to the HTTP client changes.
 */
export function batchBody(w: WireEntries, batch: readonly WireEntry[]): Buffer {
  if (batch.length === 0) return Buffer.from('[]');
  const out = w.out;
  let size = 2 + batch.length - 1;
  let consecutive = true;
  for (let i = 0; i < batch.length; i++) {
    size += batch[i]!.bytes;
    if (i > 0 && batch[i]!.start !== batch[i - 1]!.start + batch[i - 1]!.bytes + SEPARATOR_BYTES) consecutive = false;
  }
  const before = batch[0]!.start - 1;
  const last = batch[batch.length - 1]!;
  const after = last.start + last.bytes;
  if (consecutive && !overlapsLent(w.lent, before, after + 1)) {
    out[before] = OPEN;
    out[after] = CLOSE;
    w.lent.push(before, after + 1);
    return out.subarray(before, after + 1);
  }
  const body = Buffer.allocUnsafe(size);
  body[0] = OPEN;
  let p = 1;
  for (let i = 0; i < batch.length; i++) {
    if (i > 0) body[p++] = COMMA;
    p += out.copy(body, p, batch[i]!.start, batch[i]!.start + batch[i]!.bytes);
  }
  body[size - 1] = CLOSE;
  return body;
}

function overlapsLent(lent: readonly number[], from: number, to: number): boolean {
  for (let i = 0; i < lent.length; i += 2) if (from < lent[i + 1]! && lent[i]! < to) return true;
  return false;
}
