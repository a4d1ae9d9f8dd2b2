import { abortableSleep } from '../helper/backoff.js';
import type { HttpClient } from '../helper/http-client.js';

/**
 * HEC indexer acknowledgment: every request on a channel got an `ackId`; `POST
 * /services/collector/ack` with `{"acks":[ids]}` answers `{"acks":{"id":true|false}}`, true once
 * the events are indexed (and then forgotten by Splunk). We ask every `pollIntervalMs` until all
 * are true or `timeoutMs` passed; the ids still false are returned so their events are resent.
 * A failed poll (network, 503) is just another "not yet".
 */

export interface AckPollOptions {
  url: URL;
  client: HttpClient;
  headers: Record<string, string>;
  pollIntervalMs: number;
  timeoutMs: number;
  /** Bound for one poll request. */
  requestTimeoutMs: number;
  signal: AbortSignal;
  now?: () => number;
}

const MAX_ACK_RESPONSE_BYTES = 1024 * 1024;

/** The ids not acknowledged within the timeout (empty: all indexed). */
export async function awaitAcks(ids: readonly number[], options: AckPollOptions): Promise<Set<number>> {
  const now = options.now ?? Date.now;
  const pending = new Set(ids);
  const deadline = now() + options.timeoutMs;
  while (pending.size > 0 && !options.signal.aborted) {
    await abortableSleep(options.pollIntervalMs, options.signal);
    if (options.signal.aborted) break;
    for (const id of await pollOnce([...pending], options)) pending.delete(id);
    if (now() >= deadline) break;
  }
  return pending;
}

async function pollOnce(ids: number[], options: AckPollOptions): Promise<number[]> {
  const body = Buffer.from(JSON.stringify({ acks: ids }));
  try {
    const signal = AbortSignal.any([options.signal, AbortSignal.timeout(options.requestTimeoutMs)]);
    const res = await options.client.post(options.url, { headers: options.headers, body, signal, maxResponseBytes: MAX_ACK_RESPONSE_BYTES });
    if (res.status !== 200) return [];
    const parsed = JSON.parse(res.body.toString('utf8')) as { acks?: Record<string, unknown> };
    return ids.filter((id) => parsed.acks?.[String(id)] === true);
  } catch {
    return [];
  }
}
