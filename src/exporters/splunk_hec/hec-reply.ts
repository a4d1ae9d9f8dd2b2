import { parseRetryAfter } from '../helper/classify.js';

/**
 * HEC answers (Splunk "Troubleshoot HTTP Event Collector", status codes table): a JSON
 * `{"text","code"}` with `ackId` on success when the channel acknowledges, and
 * `invalid-event-number` when one event of the request is at fault.
 */

export interface HecReply {
  text?: string;
  code?: number;
  ackId?: number;
  'invalid-event-number'?: number;
}

export type HecVerdict =
  | { kind: 'ok'; ackId?: number }
  | { kind: 'retry'; reason: string; retryAfterMs?: number }
  | { kind: 'permanent'; reason: string }
  /** One event is at fault: `event` is its position in the request, when HEC said. Nothing was indexed. */
  | { kind: 'bad_event'; event?: number; reason: string }
  | { kind: 'too_large'; reason: string };

/** 8 internal server error, 9 server is busy: Splunk's own transient states. */
const RETRYABLE_CODES = new Set([8, 9]);
/** Faults of one event: 6 invalid data format, 7 incorrect index, 12/13 event missing/blank, 15 indexed fields. */
const EVENT_CODES = new Set([6, 7, 12, 13, 15]);
const RETRYABLE_HTTP = new Set([408, 429, 500, 502, 503, 504]);
const MAX_REASON_CHARS = 300;

export function parseReply(body: string): HecReply | undefined {
  try {
    const parsed = JSON.parse(body) as unknown;
    return parsed !== null && typeof parsed === 'object' ? (parsed as HecReply) : undefined;
  } catch {
    return undefined;
  }
}

export function judgeReply(status: number, headers: Headers, body: string): HecVerdict {
  const reply = parseReply(body);
  const reason = `HTTP ${status}${reply?.code !== undefined ? ` HEC code ${reply.code}` : ''}: ${(reply?.text ?? body).slice(0, MAX_REASON_CHARS)}`;
  if (status >= 200 && status < 300) return { kind: 'ok', ackId: typeof reply?.ackId === 'number' ? reply.ackId : undefined };
  if (status === 413) return { kind: 'too_large', reason };
  const code = reply?.code;
  if (code !== undefined && RETRYABLE_CODES.has(code)) return { kind: 'retry', reason, retryAfterMs: parseRetryAfter(headers.get('retry-after')) };
  if (code !== undefined && EVENT_CODES.has(code)) {
    const n = reply?.['invalid-event-number'];
    return { kind: 'bad_event', event: typeof n === 'number' && n >= 0 ? n : undefined, reason };
  }
  if (RETRYABLE_HTTP.has(status)) return { kind: 'retry', reason, retryAfterMs: parseRetryAfter(headers.get('retry-after')) };
  return { kind: 'permanent', reason };
}
