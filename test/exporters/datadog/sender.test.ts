import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { datadogConfigSchema } from '../../../src/exporters/datadog/config.js';
import { MAX_ENTRY_BYTES, ORIGINAL_BYTES_KEY, TRUNCATED_KEY, TRUNCATION_MARKER } from '../../../src/exporters/datadog/payload.js';
import { DatadogLogsSender } from '../../../src/exporters/datadog/sender.js';
import { countLogRecords, newLogRecord } from '../../../src/pdata/model.js';
import { attr } from '../../../src/pdata/values.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { DD_MAX_ITEMS, DD_MAX_UNCOMPRESSED_BYTES, startDatadogIntake, type DatadogIntake } from '../../fakes/datadog-intake.js';
import { exportRequest, logsOf, noTimeout, numberedLogs } from './build-logs.js';

const API_KEY = 'dd-test-key-0123456789abcdef';

let intake: DatadogIntake;
beforeEach(async () => {
  intake = await startDatadogIntake({ apiKey: API_KEY });
});
afterEach(async () => {
  await intake.close();
});

function sender(overrides: Record<string, unknown> = {}, key = API_KEY) {
  const config = datadogConfigSchema.parse({ api: { key }, logs: { endpoint: intake.url }, ...overrides });
  return new DatadogLogsSender({ config, logger: silentLogger });
}

const seqs = () => intake.entries.map((e) => e.seq);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('Datadog sender', () => {
  it('delivers thousands of ~1 KiB records complete and in order, each request within 1000 items and 5 MB', async () => {
    const result = await sender().send(exportRequest(numberedLogs(5_500, 1024)), noTimeout());
    expect(result.kind).toBe('success');
    expect(seqs()).toEqual(range(5_500));
    expect(intake.requests.length).toBe(6);
    for (const r of intake.requests) {
      expect(r.entries.length).toBeLessThanOrEqual(DD_MAX_ITEMS);
      expect(r.uncompressedBytes).toBeLessThanOrEqual(DD_MAX_UNCOMPRESSED_BYTES);
      expect(r.contentEncoding).toBe('gzip');
    }
    expect(intake.violations).toEqual([]);
  });

  it('splits by bytes when records are large, keeping every request under 5 MB uncompressed', async () => {
    const result = await sender().send(exportRequest(numberedLogs(2_400, 8 * 1024)), noTimeout());
    expect(result.kind).toBe('success');
    expect(seqs()).toEqual(range(2_400));
    expect(intake.requests.length).toBeGreaterThanOrEqual(4);
    for (const r of intake.requests) expect(r.uncompressedBytes).toBeLessThanOrEqual(DD_MAX_UNCOMPRESSED_BYTES);
    expect(intake.refusals).toEqual([]);
  });

  it('sends plain JSON without Content-Encoding when compression is off', async () => {
    const result = await sender({ logs: { endpoint: intake.url, use_compression: false } }).send(exportRequest(numberedLogs(3, 10)), noTimeout());
    expect(result.kind).toBe('success');
    expect(intake.requests[0].contentEncoding).toBeUndefined();
    expect(seqs()).toEqual([0, 1, 2]);
  });

  it.each([408, 500, 503])('treats HTTP %i as retryable', async (status) => {
    intake.failNext(1, status);
    expect((await sender().send(exportRequest(numberedLogs(1, 10)), noTimeout())).kind).toBe('retryable');
  });

  it('treats a wrong API key as permanent, with Datadog\'s reason and without the key', async () => {
    const wrongKey = 'dd-wrong-key-fedcba9876543210';
    const result = await sender({}, wrongKey).send(exportRequest(numberedLogs(5, 10)), noTimeout());
    expect(result.kind).toBe('permanent');
    const reason = (result as { reason: string }).reason;
    expect(reason).toContain('403');
    expect(reason).toContain('Forbidden');
    expect(reason).not.toContain(wrongKey);
    expect(reason).not.toContain(API_KEY);
    expect(intake.entries).toEqual([]);
  });

  it('treats a network failure as retryable', async () => {
    const s = sender();
    await intake.close();
    expect((await s.send(exportRequest(numberedLogs(1, 10)), noTimeout())).kind).toBe('retryable');
  });

  it('halves and resends a batch that Datadog refuses with 413', async () => {
    intake.failNext(1, 413);
    const result = await sender().send(exportRequest(numberedLogs(800, 100)), noTimeout());
    expect(result.kind).toBe('success');
    expect(seqs()).toEqual(range(800));
    expect(intake.requests.map((r) => r.entries.length)).toEqual([400, 400]);
  });

  it('delivers every record of many sends through one sender, in turn and at once (its reused buffers)', async () => {
    const s = sender({ logs: { endpoint: intake.url, use_compression: false } });
    intake.failNext(1, 413);
    expect((await s.send(exportRequest(numberedLogs(300, 200)), noTimeout())).kind).toBe('success');
    for (let i = 0; i < 3; i++) expect((await s.send(exportRequest(numberedLogs(50 + i * 100, 64 + i * 500)), noTimeout())).kind).toBe('success');
    const results = await Promise.all([1, 2, 3, 4].map((k) => s.send(exportRequest(numberedLogs(k * 40, k * 300)), noTimeout())));
    expect(results.map((r) => r.kind)).toEqual(['success', 'success', 'success', 'success']);
    const counts = new Map<number, number>();
    for (const seq of seqs()) counts.set(Number(seq), (counts.get(Number(seq)) ?? 0) + 1);
    // Every send numbers its records from 0: seq k arrives once per send that had more than k records.
    const sizes = [300, 50, 150, 250, 40, 80, 120, 160];
    expect(counts.size).toBe(300);
    for (const [seq, n] of counts) expect(n, `seq ${seq}`).toBe(sizes.filter((size) => size > seq).length);
    expect(intake.violations).toEqual([]);
    await s.shutdown();
  });

  it('cuts the message of a record above 1 MB so the entry fits, marks it, and sends the rest untouched', async () => {
    const huge = 'é'.repeat(900_000); // 1.8 MB of UTF-8
    const logs = logsOf([
      newLogRecord({ body: { stringValue: 'before' }, attributes: [attr('seq', 0)] }),
      newLogRecord({ body: { stringValue: huge }, attributes: [attr('seq', 1)] }),
      newLogRecord({ body: { stringValue: 'after' }, attributes: [attr('seq', 2)] }),
    ]);
    const result = await sender().send(exportRequest(logs), noTimeout());
    expect(result).toMatchObject({ kind: 'success' });
    expect(seqs()).toEqual([0, 1, 2]);
    const cut = intake.entries[1];
    expect(Buffer.byteLength(JSON.stringify(cut))).toBeLessThanOrEqual(MAX_ENTRY_BYTES);
    expect(String(cut.message).endsWith(TRUNCATION_MARKER)).toBe(true);
    expect(huge.startsWith(String(cut.message).slice(0, -TRUNCATION_MARKER.length))).toBe(true);
    expect(cut[TRUNCATED_KEY]).toBe(true);
    expect(cut[ORIGINAL_BYTES_KEY]).toBe(1_800_000);
    expect(intake.entries[0].message).toBe('before');
    expect(intake.entries[0][TRUNCATED_KEY]).toBeUndefined();
    expect(intake.violations).toEqual([]);
  });

  it('delivers the rest and hands back for dead-lettering a record whose attributes alone exceed 1 MB', async () => {
    const logs = logsOf([
      newLogRecord({ body: { stringValue: 'ok' }, attributes: [attr('seq', 0)] }),
      newLogRecord({ body: { stringValue: 'too big' }, attributes: [attr('seq', 1), attr('blob', 'z'.repeat(1_100_000))] }),
      newLogRecord({ body: { stringValue: 'ok' }, attributes: [attr('seq', 2)] }),
    ]);
    const result = await sender().send(exportRequest(logs), noTimeout());
    expect(result).toMatchObject({ kind: 'success', rejected: 1 });
    expect(seqs()).toEqual([0, 2]);
    const rejected = result.kind === 'success' ? result.rejectedLogs : undefined;
    expect(rejected && countLogRecords(rejected)).toBe(1);
    expect(rejected?.resourceLogs[0].scopeLogs[0].logRecords[0].body).toEqual({ stringValue: 'too big' });
  });

  it('answers permanent when every record of the request is beyond the per-log limit', async () => {
    const logs = logsOf([newLogRecord({ attributes: [attr('blob', 'z'.repeat(1_100_000))] })]);
    const result = await sender().send(exportRequest(logs), noTimeout());
    expect(result.kind).toBe('permanent');
    expect(intake.requests).toEqual([]);
  });

  it('sends nothing for an empty request', async () => {
    expect((await sender().send(exportRequest({ resourceLogs: [] }), noTimeout())).kind).toBe('success');
    expect(intake.requests).toEqual([]);
  });
});
