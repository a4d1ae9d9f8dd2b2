import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_EVENT_BYTES, TRUNCATED_SUFFIX } from '../../../src/exporters/awscloudwatchlogs/events.js';
import { countLogRecords, newLogRecord } from '../../../src/pdata/model.js';
import { attr } from '../../../src/pdata/values.js';
import { CW_MAX_EVENTS, CW_MAX_REQUEST_BYTES, startCloudWatchLogsFake, type CloudWatchLogsFake } from '../../fakes/cloudwatch-logs.js';
import { captureLogger } from '../datadog/capture-logger.js';
import { exportRequest, logsOf, noTimeout } from '../datadog/build-logs.js';
import { credentialsEnv, cwSender, fakeKeys, recentLogs, recordAt, SECRET_ACCESS_KEY, SESSION_TOKEN, storedSeqs } from './cw-test-kit.js';

const GROUP = 'make/executions';
const STREAM = 'gateway-1';

let fake: CloudWatchLogsFake;
beforeEach(async () => {
  fake = await startCloudWatchLogsFake({ keys: fakeKeys() });
});
afterEach(() => fake.close());

const stored = () => fake.events(GROUP, STREAM);
const puts = () => fake.calls.filter((c) => c.operation === 'PutLogEvents' && c.status === 200);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('CloudWatch Logs sender', () => {
  it('delivers thousands of ~1 KiB records field by field, every request within 10,000 events and 1,048,576 bytes', async () => {
    fake.createGroup(GROUP, [STREAM]);
    const logs = recentLogs(6_000, 1024);
    const result = await cwSender(fake.url).send(exportRequest(logs), noTimeout());
    expect(result).toEqual({ kind: 'success' });
    expect(storedSeqs(stored())).toEqual(range(6_000));
    expect(puts().length).toBeGreaterThanOrEqual(6);
    for (const c of puts()) {
      expect(c.events).toBeLessThanOrEqual(CW_MAX_EVENTS);
      expect(c.bytes).toBeLessThanOrEqual(CW_MAX_REQUEST_BYTES);
    }
    const record = logs.resourceLogs[0].scopeLogs[0].logRecords[42];
    const first = stored()[42];
    expect(first.timestamp).toBe(Number(record.timeUnixNano / 1_000_000n));
    expect(JSON.parse(first.message)).toEqual({
      body: record.body!.stringValue,
      severity_number: 9,
      severity_text: 'INFO',
      attributes: { seq: 42 },
      scope: { name: 'test', version: '1' },
      resource: { 'service.name': 'checkout' },
    });
  });

  it('creates the missing log group (with tags and retention) and stream, then delivers', async () => {
    const result = await cwSender(fake.url, { log_retention: 30, tags: { team: 'observability', env: 'prod' } }).send(exportRequest(recentLogs(3, 50)), noTimeout());
    expect(result.kind).toBe('success');
    expect(fake.groups.get(GROUP)).toMatchObject({ tags: { team: 'observability', env: 'prod' }, retentionInDays: 30 });
    expect(storedSeqs(stored())).toEqual([0, 1, 2]);
    expect(fake.calls.map((c) => `${c.operation} ${c.type ?? c.status}`)).toEqual([
      'PutLogEvents ResourceNotFoundException',
      'CreateLogStream ResourceNotFoundException',
      'CreateLogGroup 200',
      'PutRetentionPolicy 200',
      'CreateLogStream 200',
      'PutLogEvents 200',
    ]);
  });

  it('sets the retention of a group it created on the next attempt when PutRetentionPolicy failed', async () => {
    fake.failNext(1, 'ServiceUnavailableException', 'PutRetentionPolicy');
    const sender = cwSender(fake.url, { log_retention: 14 });
    const request = exportRequest(recentLogs(2, 10));
    expect(await sender.send(request, noTimeout())).toMatchObject({ kind: 'retryable', reason: expect.stringContaining('PutRetentionPolicy') });
    expect((await sender.send(request, noTimeout())).kind).toBe('success');
    expect(fake.groups.get(GROUP)!.retentionInDays).toBe(14);
    expect(stored()).toHaveLength(2);
  });

  it('creates only the stream when the group exists, and never touches the retention of a group it did not create', async () => {
    fake.createGroup(GROUP);
    expect((await cwSender(fake.url, { log_retention: 7 }).send(exportRequest(recentLogs(2, 10)), noTimeout())).kind).toBe('success');
    expect(fake.groups.get(GROUP)!.retentionInDays).toBeUndefined();
    expect(fake.calls.map((c) => c.operation)).not.toContain('CreateLogGroup');
    expect(stored()).toHaveLength(2);
  });

  it('sorts records by time and splits a request spanning more than 24 hours', async () => {
    fake.createGroup(GROUP, [STREAM]);
    const t = Date.now() - 3 * 86_400_000;
    const logs = logsOf([recordAt(t + 2 * 86_400_000, 'c', 2), recordAt(t, 'a', 0), recordAt(t + 1000, 'b', 1), recordAt(t + 2 * 86_400_000 + 5, 'd', 3)]);
    expect((await cwSender(fake.url).send(exportRequest(logs), noTimeout())).kind).toBe('success');
    expect(storedSeqs(stored())).toEqual([0, 1, 2, 3]);
    expect(puts().map((c) => c.events)).toEqual([2, 2]);
  });

  it('cuts a record above 256 KiB to fit, marks it, and counts it', async () => {
    fake.createGroup(GROUP, [STREAM]);
    let truncated = 0;
    const huge = 'é'.repeat(200_000); // 400,000 bytes of UTF-8
    const logs = logsOf([recordAt(Date.now(), huge, 0), recordAt(Date.now(), 'small', 1)]);
    const result = await cwSender(fake.url, { raw_log: true }, { onTruncated: (n) => (truncated += n) }).send(exportRequest(logs), noTimeout());
    expect(result.kind).toBe('success');
    const [cut, small] = stored();
    expect(Buffer.byteLength(cut.message) + 26).toBeLessThanOrEqual(MAX_EVENT_BYTES);
    expect(cut.message.endsWith(TRUNCATED_SUFFIX)).toBe(true);
    expect(huge.startsWith(cut.message.slice(0, -TRUNCATED_SUFFIX.length))).toBe(true);
    expect(small.message).toBe('small');
    expect(truncated).toBe(1);
  });

  it('sends the body alone with raw_log, and routes EMF bodies to the log group they name', async () => {
    fake.createGroup(GROUP, [STREAM]);
    const emf = JSON.stringify({ _aws: { Timestamp: Date.now(), LogGroupName: 'emf-metrics', CloudWatchMetrics: [] }, latency: 12 });
    const logs = logsOf([recordAt(Date.now(), 'plain line', 0), recordAt(Date.now(), emf, 1)]);
    expect((await cwSender(fake.url, { raw_log: true }).send(exportRequest(logs), noTimeout())).kind).toBe('success');
    expect(stored().map((e) => e.message)).toEqual(['plain line']);
    expect(fake.events('emf-metrics', STREAM).map((e) => e.message)).toEqual([emf]);
  });

  it.each(['ThrottlingException', 'ServiceUnavailableException'] as const)('answers retryable on %s, then delivers on the next attempt', async (type) => {
    fake.createGroup(GROUP, [STREAM]);
    fake.failNext(1, type);
    const sender = cwSender(fake.url);
    const request = exportRequest(recentLogs(10, 100));
    expect(await sender.send(request, noTimeout())).toMatchObject({ kind: 'retryable', reason: expect.stringContaining(type) });
    expect((await sender.send(request, noTimeout())).kind).toBe('success');
    expect(storedSeqs(stored())).toEqual(range(10));
  });

  it('answers retryable while CloudWatch is unreachable', async () => {
    const sender = cwSender(fake.url);
    await fake.down();
    expect((await sender.send(exportRequest(recentLogs(1, 10)), noTimeout())).kind).toBe('retryable');
  });

  it('hands back the one event CloudWatch refuses with InvalidParameterException and delivers all the others', async () => {
    fake.createGroup(GROUP, [STREAM]);
    fake.poison((m) => m.includes('POISON'));
    const records = recentLogs(100, 50).resourceLogs[0].scopeLogs[0].logRecords;
    records[37].body = { stringValue: 'record 37 POISON' };
    const result = await cwSender(fake.url).send(exportRequest(logsOf(records)), noTimeout());
    expect(result).toMatchObject({ kind: 'success', rejected: 1, message: expect.stringContaining('InvalidParameterException') });
    const rejected = result.kind === 'success' ? result.rejectedLogs : undefined;
    expect(rejected && countLogRecords(rejected)).toBe(1);
    expect(rejected!.resourceLogs[0].scopeLogs[0].logRecords[0].body).toEqual({ stringValue: 'record 37 POISON' });
    expect(storedSeqs(stored())).toEqual(range(100).filter((i) => i !== 37));
  });

  it('hands back records outside CloudWatch\'s time window, and fails for good when nothing is left', async () => {
    fake.createGroup(GROUP, [STREAM]);
    const now = Date.now();
    const logs = logsOf([recordAt(now - 20 * 86_400_000, 'ancient', 0), recordAt(now, 'fresh', 1), recordAt(now + 5 * 3_600_000, 'future', 2)]);
    const result = await cwSender(fake.url).send(exportRequest(logs), noTimeout());
    expect(result).toMatchObject({ kind: 'success', rejected: 2 });
    expect(storedSeqs(stored())).toEqual([1]);
    const onlyOld = await cwSender(fake.url).send(exportRequest(logsOf([recordAt(now - 20 * 86_400_000, 'ancient', 0)])), noTimeout());
    expect(onlyOld).toMatchObject({ kind: 'permanent', reason: expect.stringContaining('older than 14 days') });
  });

  it('fails a wrong secret key for good, without the secret or the session token in the reason or the logs', async () => {
    fake.createGroup(GROUP, [STREAM]);
    const wrongSecret = 'wrong-secret-key-9876543210zyxwvutsrqponm';
    const logger = captureLogger();
    const env = { ...credentialsEnv(), AWS_SECRET_ACCESS_KEY: wrongSecret };
    const result = await cwSender(fake.url, {}, { env, logger }).send(exportRequest(recentLogs(2, 10)), noTimeout());
    expect(result).toMatchObject({ kind: 'permanent', reason: expect.stringContaining('InvalidSignatureException') });
    const reason = (result as { reason: string }).reason;
    // The fake, like AWS, echoes the canonical request, which holds the session token.
    expect(reason).not.toContain(SESSION_TOKEN);
    expect(reason).not.toContain(wrongSecret);
    expect(reason).not.toContain(SECRET_ACCESS_KEY);
    expect(logger.lines.join('\n')).not.toContain(SESSION_TOKEN);
    expect(stored()).toEqual([]);
  });

  it('sends nothing for an empty request', async () => {
    expect((await cwSender(fake.url).send(exportRequest({ resourceLogs: [] }), noTimeout())).kind).toBe('success');
    expect(fake.calls).toEqual([]);
  });

  it('keeps integers, nested maps and trace ids in the JSON wrapper', async () => {
    fake.createGroup(GROUP, [STREAM]);
    const record = newLogRecord({
      timeUnixNano: BigInt(Date.now()) * 1_000_000n,
      severityNumber: 17,
      severityText: 'ERROR',
      eventName: 'make.scenario.execution',
      body: { kvlistValue: { values: [attr('msg', 'failed'), attr('code', 42)] } },
      attributes: [attr('make.execution.operations', 12), attr('make.execution.id', 'abc')],
      traceId: Uint8Array.from({ length: 16 }, (_, i) => i + 1),
      spanId: Uint8Array.from({ length: 8 }, (_, i) => i + 1),
    });
    expect((await cwSender(fake.url).send(exportRequest(logsOf([record])), noTimeout())).kind).toBe('success');
    expect(JSON.parse(stored()[0].message)).toMatchObject({
      body: { msg: 'failed', code: 42 },
      severity_number: 17,
      severity_text: 'ERROR',
      event_name: 'make.scenario.execution',
      trace_id: '0102030405060708090a0b0c0d0e0f10',
      span_id: '0102030405060708',
      attributes: { 'make.execution.operations': 12, 'make.execution.id': 'abc' },
    });
  });
});
