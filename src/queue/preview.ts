import { decodeLogs } from '../pdata/proto.js';
import { anyValueToString } from '../pdata/values.js';
import { PREVIEW_CHARS } from './queue.js';

/**
 * A dead letter's preview: its first log record's body, cut at PREVIEW_CHARS, so an operator can
 * tell entries apart without decoding them. Undefined when there is no record or the bytes do not
 * decode (a corrupt record's entry, or the placeholder describing lost bytes).
 */
export function previewOf(bytes: Uint8Array): string | undefined {
  if (bytes.byteLength === 0) return undefined;
  try {
    for (const rl of decodeLogs(bytes).resourceLogs) {
      for (const sl of rl.scopeLogs) {
        const first = sl.logRecords[0];
        if (first) return anyValueToString(first.body).slice(0, PREVIEW_CHARS);
      }
    }
  } catch {
    // Not a valid request: no preview rather than an error in a listing.
  }
  return undefined;
}
