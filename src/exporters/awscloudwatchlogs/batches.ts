import type { CwEvent, StreamKey } from './events.js';

/**
 * PutLogEvents' rules for one request (API reference, PutLogEvents): at most 10,000 events; at
 * most 1,048,576 bytes counted as UTF-8 messages plus 26 bytes per event; events in chronological
 * order; all of them within 24 hours of each other; none more than 2 hours in the future or
 * older than 14 days. Events are sorted (stably, so records with the same millisecond keep their
 * order) and packed greedily; events outside the time window can never be accepted and are set
 * aside with the reason.
 */

export const MAX_EVENTS_PER_REQUEST = 10_000;
export const MAX_REQUEST_BYTES = 1_048_576;
export const MAX_BATCH_SPAN_MS = 24 * 60 * 60 * 1000;
export const MAX_FUTURE_MS = 2 * 60 * 60 * 1000;
export const MAX_AGE_MS = 14 * 24 * 60 * 60 * 1000;

export interface StreamBatches {
  key: StreamKey;
  batches: CwEvent[][];
}

export interface Planned {
  streams: StreamBatches[];
  /** Events CloudWatch can never accept, with why. */
  refused: { event: CwEvent; reason: string }[];
}

function keyId(key: StreamKey): string {
  return `${key.group}\u0000${key.stream}`;
}

export function planBatches(events: readonly CwEvent[], nowMs: number): Planned {
  const byStream = new Map<string, { key: StreamKey; events: CwEvent[] }>();
  const refused: Planned['refused'] = [];
  for (const event of events) {
    if (event.message === '') refused.push({ event, reason: 'empty message (CloudWatch requires at least one character; the record has an empty body and raw_log is on)' });
    else if (event.timestamp > nowMs + MAX_FUTURE_MS) refused.push({ event, reason: 'timestamp more than 2 hours in the future (CloudWatch refuses it)' });
    else if (event.timestamp < nowMs - MAX_AGE_MS) refused.push({ event, reason: 'timestamp older than 14 days (CloudWatch refuses it)' });
    else {
      const id = keyId(event.key);
      let entry = byStream.get(id);
      if (!entry) byStream.set(id, (entry = { key: event.key, events: [] }));
      entry.events.push(event);
    }
  }
  const streams: StreamBatches[] = [];
  for (const { key, events: list } of byStream.values()) {
    // Array.prototype.sort is stable (ES2019), which keeps same-millisecond records in order.
    const sorted = [...list].sort((a, b) => a.timestamp - b.timestamp);
    streams.push({ key, batches: pack(sorted) });
  }
  return { streams, refused };
}

/** Greedy packing of time-sorted events within the count, byte and 24 h span limits. */
export function pack(sorted: readonly CwEvent[]): CwEvent[][] {
  const batches: CwEvent[][] = [];
  let current: CwEvent[] = [];
  let bytes = 0;
  for (const event of sorted) {
    const full = current.length >= MAX_EVENTS_PER_REQUEST || bytes + event.bytes > MAX_REQUEST_BYTES || (current.length > 0 && event.timestamp - current[0].timestamp > MAX_BATCH_SPAN_MS);
    if (current.length > 0 && full) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(event);
    bytes += event.bytes;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
