import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newrelicConfigSchema } from '../../../src/exporters/newrelic/config.js';
import { NewRelicLogsSender } from '../../../src/exporters/newrelic/sender.js';
import { countLogRecords, newLogRecord } from '../../../src/pdata/model.js';
import { encodeLogs } from '../../../src/pdata/proto.js';
import { attr, fromAnyValue, getAttr } from '../../../src/pdata/values.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { NR_MAX_BODY_BYTES, startNewRelicIntake, type NewRelicIntake } from '../../fakes/newrelic-intake.js';
import { exportRequest, logsOf, noTimeout, numberedLogs } from '../datadog/build-logs.js';

const API_KEY = 'nr-license-key-0123456789NRAL';

let intake: NewRelicIntake;
beforeEach(async () => {
  intake = await startNewRelicIntake({ apiKey: API_KEY });
});
afterEach(async () => {
  await intake.close();
});

function sender(overrides: Record<string, unknown> = {}, key = API_KEY) {
  const config = newrelicConfigSchema.parse({ api_key: key, endpoint: intake.url, ...overrides });
  return new NewRelicLogsSender({ config, logger: silentLogger });
}

const request = (logs: Parameters<typeof exportRequest>[0]) => exportRequest(logs, encodeLogs);
const seqs = () => intake.records().map((r) => Number(fromAnyValue(getAttr(r.attributes, 'seq'))));
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('New Relic sender', () => {
  it('delivers thousands of ~1 KiB records complete, every request under 1,000,000 bytes compressed and uncompressed', async () => {
    const result = await sender().send(request(numberedLogs(5_000, 1024)), noTimeout());
    expect(result.kind).toBe('success');
    expect(seqs()).toEqual(range(5_000));
    expect(intake.requests.length).toBeGreaterThanOrEqual(6);
    for (const r of intake.requests) {
      expect(r.bodyBytes).toBeLessThanOrEqual(NR_MAX_BODY_BYTES);
      expect(r.uncompressedBytes).toBeLessThanOrEqual(NR_MAX_BODY_BYTES);
      expect(r.contentEncoding).toBe('gzip');
      // every split request keeps its records under their resource
      expect(r.logs.resourceLogs[0].resource?.attributes).toEqual([attr('service.name', 'checkout')]);
    }
    expect(intake.refusals).toEqual([]);
  });

  it('sends a request within the limit as one gzip request, records unchanged', async () => {
    const logs = numberedLogs(50, 200);
    const result = await sender().send(request(logs), noTimeout());
    expect(result.kind).toBe('success');
    expect(intake.requests.length).toBe(1);
    expect(intake.requests[0].logs).toEqual(logs);
  });

  it('forwards the queued protobuf as is when it fits, without decoding it', async () => {
    const logs = numberedLogs(20, 100);
    const bytes = encodeLogs(logs);
    const forwarded = { records: 20, bytes: () => bytes, logs: () => { throw new Error('decoded'); } };
    expect((await sender().send(forwarded, noTimeout())).kind).toBe('success');
    expect(intake.requests[0].logs).toEqual(logs);
  });

  it('sends identity-encoded protobuf when compression is none, still within the limit', async () => {
    const result = await sender({ compression: 'none' }).send(request(numberedLogs(1_500, 1024)), noTimeout());
    expect(result.kind).toBe('success');
    expect(seqs()).toEqual(range(1_500));
    for (const r of intake.requests) {
      expect(r.contentEncoding).toBeUndefined();
      expect(r.bodyBytes).toBeLessThanOrEqual(NR_MAX_BODY_BYTES);
    }
  });

  it.each([[502, 'retryable'], [503, 'retryable'], [400, 'permanent'], [415, 'permanent']])('treats HTTP %i as %s', async (status, kind) => {
    intake.failNext(1, status);
    expect((await sender().send(request(numberedLogs(1, 10)), noTimeout())).kind).toBe(kind);
  });

  it('treats a wrong license key as permanent, without the key in the reason', async () => {
    const wrongKey = 'nr-wrong-key-ffeeddccbbaaNRAL';
    const result = await sender({}, wrongKey).send(request(numberedLogs(5, 10)), noTimeout());
    expect(result.kind).toBe('permanent');
    const reason = (result as { reason: string }).reason;
    expect(reason).toContain('403');
    expect(reason).not.toContain(wrongKey);
    expect(intake.recordCount()).toBe(0);
  });

  it('treats a network failure as retryable', async () => {
    const s = sender();
    await intake.close();
    expect((await s.send(request(numberedLogs(1, 10)), noTimeout())).kind).toBe('retryable');
  });

  it('splits smaller and resends when New Relic answers 413', async () => {
    intake.failNext(2, 413);
    const result = await sender().send(request(numberedLogs(100, 100)), noTimeout());
    expect(result.kind).toBe('success');
    expect(seqs()).toEqual(range(100));
    expect(intake.requests.map((r) => countLogRecords(r.logs))).toEqual([50, 50]);
  });

  it('sends a record above the limit uncompressed on its own when it fits compressed', async () => {
    const logs = logsOf([
      newLogRecord({ body: { stringValue: 'small' }, attributes: [attr('seq', 0)] }),
      newLogRecord({ body: { stringValue: 'x'.repeat(1_500_000) }, attributes: [attr('seq', 1)] }),
    ]);
    const result = await sender().send(request(logs), noTimeout());
    expect(result).toMatchObject({ kind: 'success' });
    expect(seqs().sort()).toEqual([0, 1]);
    const big = intake.requests.find((r) => r.uncompressedBytes > NR_MAX_BODY_BYTES);
    expect(big?.bodyBytes).toBeLessThanOrEqual(NR_MAX_BODY_BYTES);
  });

  it('delivers the rest and hands back for dead-lettering a record too large even compressed', async () => {
    const noise = randomBytes(1_200_000).toString('base64');
    const logs = logsOf([
      newLogRecord({ body: { stringValue: 'a' }, attributes: [attr('seq', 0)] }),
      newLogRecord({ body: { stringValue: noise }, attributes: [attr('seq', 1)] }),
      newLogRecord({ body: { stringValue: 'b' }, attributes: [attr('seq', 2)] }),
    ]);
    const result = await sender().send(request(logs), noTimeout());
    expect(result).toMatchObject({ kind: 'success', rejected: 1 });
    expect(seqs()).toEqual([0, 2]);
    const rejected = result.kind === 'success' ? result.rejectedLogs : undefined;
    expect(rejected?.resourceLogs[0].scopeLogs[0].logRecords.map((r) => r.body?.stringValue)).toEqual([noise]);
    expect(rejected?.resourceLogs[0].resource?.attributes).toEqual([attr('service.name', 'checkout')]);
  });

  it('answers permanent when the only record is too large even compressed', async () => {
    const logs = logsOf([newLogRecord({ body: { stringValue: randomBytes(1_200_000).toString('base64') } })]);
    expect((await sender().send(request(logs), noTimeout())).kind).toBe('permanent');
    expect(intake.requests).toEqual([]);
  });

  it('reports records New Relic rejected through partial_success without retrying', async () => {
    intake.partialSuccess(2, 'attribute too long');
    const result = await sender().send(request(numberedLogs(5, 10)), noTimeout());
    expect(result).toMatchObject({ kind: 'success', rejected: 2, message: 'attribute too long' });
    expect(intake.requests.length).toBe(1);
  });
});
