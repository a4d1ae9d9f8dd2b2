import type { RecordRef } from '../helper/split.js';
import type { DatadogEntry } from './mapping.js';

/**
 * Datadog's per-request limits (Logs API v2 reference). "MB" is read as 10^6 bytes, the stricter
 * reading, so a request we build is within the limit whichever way Datadog counts.
 */
export const MAX_ITEMS_PER_REQUEST = 1000;
/** Uncompressed body, JSON brackets and commas included. */
export const MAX_REQUEST_BYTES = 5_000_000;
/**
 * One serialized entry. Datadog accepts bigger logs but cuts them at 1 MB wherever the cut falls;
 * we cut the message ourselves so every other field survives, and say so in the entry.
 */
export const MAX_ENTRY_BYTES = 1_000_000;
/** Appended to a cut message; the Datadog Agent marks its own truncations the same way. */
export const TRUNCATION_MARKER = '...TRUNCATED...';
/** Set to true on an entry whose message we cut. */
export const TRUNCATED_KEY = 'gateway.truncated';
/** The message's size in UTF-8 bytes before the cut. */
export const ORIGINAL_BYTES_KEY = 'gateway.original_message_bytes';

export interface SerializedEntry {
  readonly ref: RecordRef;
  readonly json: string;
  readonly bytes: number;
}

/**
 * The entry as JSON within MAX_ENTRY_BYTES, its message cut if needed; undefined when even an
 * empty message does not fit (the other fields alone are too big): Datadog would mangle it.
 */
export function serializeEntry(ref: RecordRef, entry: DatadogEntry, maxBytes = MAX_ENTRY_BYTES): SerializedEntry | undefined {
  const json = JSON.stringify(entry);
  const bytes = Buffer.byteLength(json);
  if (bytes <= maxBytes) return { ref, json, bytes };
  const cut = truncateMessage(entry, maxBytes);
  return cut === undefined ? undefined : { ref, json: cut, bytes: Buffer.byteLength(cut) };
}

function truncateMessage(entry: DatadogEntry, maxBytes: number): string | undefined {
  const original = Buffer.from(String(entry.message ?? ''), 'utf8');
  const marked: DatadogEntry = { ...entry, message: TRUNCATION_MARKER, [TRUNCATED_KEY]: true, [ORIGINAL_BYTES_KEY]: original.length };
  const fixedBytes = Buffer.byteLength(JSON.stringify(marked));
  if (fixedBytes > maxBytes) return undefined;
  // JSON escapes make a message longer than its bytes, so cut, measure, and cut again by the excess.
  let keep = Math.min(original.length, maxBytes - fixedBytes);
  while (keep > 0) {
    // A cut inside a multi-byte character decodes as U+FFFD; drop it rather than send a broken char.
    const prefix = original.subarray(0, keep).toString('utf8').replace(/\uFFFD$/, '');
    marked.message = prefix + TRUNCATION_MARKER;
    const json = JSON.stringify(marked);
    const excess = Buffer.byteLength(json) - maxBytes;
    if (excess <= 0) return json;
    keep -= excess;
  }
  marked.message = TRUNCATION_MARKER;
  return JSON.stringify(marked);
}
