import { decodeLogs } from '../pdata/proto.js';
import { anyValueToString } from '../pdata/values.js';

/** A preview is for recognising a request at a glance, not for reading it: bounded. */
export const DEAD_LETTER_PREVIEW_CHARS = 200;

/**
 * The first log record's body of a stored request, cut to DEAD_LETTER_PREVIEW_CHARS; undefined
 * when the bytes do not decode (a corrupt-record entry) or hold no record.
 */
export function deadLetterPreview(bytes: Uint8Array): string | undefined {
  try {
    const logs = decodeLogs(bytes);
    for (const rl of logs.resourceLogs) {
      for (const sl of rl.scopeLogs) {
        const first = sl.logRecords[0];
        if (first) return anyValueToString(first.body).slice(0, DEAD_LETTER_PREVIEW_CHARS);
      }
    }
  } catch {
    // Not a decodable request: no preview.
  }
  return undefined;
}
