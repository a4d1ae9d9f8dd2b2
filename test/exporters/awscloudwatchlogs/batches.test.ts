import { describe, expect, it } from 'vitest';
import { MAX_EVENTS_PER_REQUEST, MAX_REQUEST_BYTES, pack, planBatches } from '../../../src/exporters/awscloudwatchlogs/batches.js';
import { EVENT_OVERHEAD_BYTES, type CwEvent } from '../../../src/exporters/awscloudwatchlogs/events.js';
import { rejectedEvents } from '../../../src/exporters/awscloudwatchlogs/sender.js';
import { newLogRecord } from '../../../src/pdata/model.js';

const key = { group: 'g', stream: 's' };
const ref = { resourceLogs: { scopeLogs: [], schemaUrl: '' }, scopeLogs: { logRecords: [], schemaUrl: '' }, record: newLogRecord({}) } as never;
const event = (timestamp: number, size = 10, message = 'x'.repeat(size)): CwEvent => ({ ref, timestamp, message, bytes: Buffer.byteLength(message) + EVENT_OVERHEAD_BYTES, key, truncated: false });

describe('PutLogEvents batching', () => {
  it('fills a request exactly to 1,048,576 bytes counting 26 per event, and starts a new one past it', () => {
    const size = MAX_REQUEST_BYTES / 4 - EVENT_OVERHEAD_BYTES;
    const batches = pack([event(1, size), event(2, size), event(3, size), event(4, size), event(5, 1)]);
    expect(batches.map((b) => b.length)).toEqual([4, 1]);
    expect(batches[0].reduce((n, e) => n + e.bytes, 0)).toBe(MAX_REQUEST_BYTES);
  });

  it('puts at most 10,000 events in a request', () => {
    const batches = pack(Array.from({ length: MAX_EVENTS_PER_REQUEST * 2 + 1 }, (_, i) => event(i, 1)));
    expect(batches.map((b) => b.length)).toEqual([10_000, 10_000, 1]);
  });

  it('keeps a request within 24 hours of its first event', () => {
    const day = 86_400_000;
    expect(pack([event(0), event(day), event(day + 1)]).map((b) => b.length)).toEqual([2, 1]);
  });

  it('sorts by time, stably, per stream, and sets aside empty or out-of-window events', () => {
    const now = 100 * 86_400_000;
    const a = event(now - 5);
    const b = event(now - 10);
    const c = event(now - 5);
    const empty = event(now, 0, '');
    const old = event(now - 15 * 86_400_000);
    const future = event(now + 3 * 3_600_000);
    const plan = planBatches([a, b, empty, c, old, future], now);
    expect(plan.streams).toHaveLength(1);
    expect(plan.streams[0].batches[0]).toEqual([b, a, c]);
    expect(plan.refused.map((r) => r.event)).toEqual([empty, old, future]);
  });

  it('maps rejectedLogEventsInfo indexes to the events CloudWatch did not store', () => {
    const batch = [event(1), event(2), event(3), event(4), event(5)];
    const rejected = rejectedEvents(batch, { tooOldLogEventEndIndex: 0, expiredLogEventEndIndex: 1, tooNewLogEventStartIndex: 4 });
    expect(rejected.map((r) => [batch.indexOf(r.event), r.reason])).toEqual([
      [0, 'rejected by CloudWatch as too old'],
      [1, "rejected by CloudWatch as older than the log group's retention"],
      [4, 'rejected by CloudWatch as too far in the future'],
    ]);
    expect(rejectedEvents(batch, undefined)).toEqual([]);
  });
});
