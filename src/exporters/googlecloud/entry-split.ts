import { createHash } from 'node:crypto';
import type { LogEntry } from './log-entry.js';

/**
 * Cloud Logging refuses a LogEntry above 256 KB. Rather than truncate (data loss) or dead-letter
 * the whole batch for one record, an oversized entry is cut into several entries linked by the
 * API's own `split: {uid, index, totalSplits}` field, which the Logs Explorer shows as one entry.
 * The payload becomes text (a JSON payload is split as its JSON text).
 */

/** Google's documented per-entry limit is 256 KB; stay a little below so the envelope fits. */
export const MAX_ENTRY_BYTES = 256_000;
/** 128 bits of the hash: collisions between distinct entries are not a practical concern. */
const INSERT_ID_CHARS = 22;
/** Slack for the digits of index/totalSplits and the per-part insertId suffix. */
const SPLIT_ENVELOPE_SLACK = 64;
/** An envelope (labels, resource…) leaving less than this for payload is sent whole and left to the backend to refuse. */
const MIN_PART_PAYLOAD_BYTES = 1024;

/**
 * The JSON text(s) of an entry: one, or several split parts when it exceeds MAX_ENTRY_BYTES.
 *
 * Each gets a deterministic `insertId` (a hash of the entry and its position in the request).
 * Cloud Logging treats entries with the same timestamp and insertId as one, so a request sent
 * again after a retry or a restart does not show up twice: at-least-once delivery without
 * visible duplicates.
 */
export function serializeEntry(entry: LogEntry, position: number, maxEntryBytes = MAX_ENTRY_BYTES): string[] {
  const plain = JSON.stringify(entry);
  const uid = createHash('sha256').update(plain).update(`#${position}`).digest('base64url').slice(0, INSERT_ID_CHARS);
  const json = `{"insertId":"${uid}",${plain.slice(1)}`;
  if (json.length <= maxEntryBytes / 3 || Buffer.byteLength(json) <= maxEntryBytes) return [json];

  const text = entry.textPayload ?? JSON.stringify(entry.jsonPayload ?? null);
  const envelope: LogEntry = { ...entry, jsonPayload: undefined, textPayload: '', split: { uid, index: 0, totalSplits: 0 } };
  const budget = maxEntryBytes - Buffer.byteLength(JSON.stringify(envelope)) - SPLIT_ENVELOPE_SLACK;
  if (budget < MIN_PART_PAYLOAD_BYTES) return [json];

  const parts = splitForJson(text, budget);
  return parts.map((part, index) =>
    JSON.stringify({ ...envelope, insertId: `${uid}-${index}`, textPayload: part, split: { uid, index, totalSplits: parts.length } }),
  );
}

/**
 * Cut `text` into pieces whose JSON string encoding (without quotes) is at most `maxBytes` UTF-8
 * bytes, never inside a surrogate pair.
 */
export function splitForJson(text: string, maxBytes: number): string[] {
  const parts: string[] = [];
  let start = 0;
  let used = 0;
  let i = 0;
  while (i < text.length) {
    const cp = text.codePointAt(i)!;
    const units = cp > 0xffff ? 2 : 1;
    const cost = jsonEscapedBytes(cp);
    if (used + cost > maxBytes && i > start) {
      parts.push(text.slice(start, i));
      start = i;
      used = 0;
    }
    used += cost;
    i += units;
  }
  parts.push(text.slice(start));
  return parts;
}

/** Bytes a code point takes inside a JSON string literal, as JSON.stringify writes it. */
function jsonEscapedBytes(cp: number): number {
  if (cp === 0x22 || cp === 0x5c || cp === 0x08 || cp === 0x09 || cp === 0x0a || cp === 0x0c || cp === 0x0d) return 2;
  if (cp < 0x20) return 6;
  if (cp < 0x80) return 1;
  if (cp < 0x800) return 2;
  if (cp >= 0xd800 && cp <= 0xdfff) return 6; // lone surrogate: \udXXX
  if (cp < 0x10000) return 3;
  return 4;
}
