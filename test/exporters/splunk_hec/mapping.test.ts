import { describe, expect, it } from 'vitest';
import { ackUrl, splunkHecConfigSchema } from '../../../src/exporters/splunk_hec/config.js';
import { hecTime, toHecEvent } from '../../../src/exporters/splunk_hec/event.js';
import { judgeReply } from '../../../src/exporters/splunk_hec/hec-reply.js';
import { flattenRecords } from '../../../src/exporters/helper/split.js';
import { newLogRecord } from '../../../src/pdata/model.js';
import { attr } from '../../../src/pdata/values.js';
import { BASE_TIME_NANOS, logsOf } from '../datadog/build-logs.js';

/** docs/splunk-hec.md's event mapping, HEC answer table and config rules. */

const config = (extra: Record<string, unknown> = {}) => splunkHecConfigSchema.parse({ token: 'tok-123456', endpoint: 'https://splunk:8088/services/collector', ...extra });

describe('splunk_hec event mapping', () => {
  it('writes time in seconds with a millisecond fraction', () => {
    expect(hecTime(BASE_TIME_NANOS + 5_999_999n)).toBe(1767225600.005);
    expect(hecTime(1_000_000_000n)).toBe(1);
  });

  it('keeps a map body as a JSON value and uses otel_to_hec_fields for severity', () => {
    const [ref] = flattenRecords(logsOf([newLogRecord({ observedTimeUnixNano: BASE_TIME_NANOS, severityText: 'WARN', severityNumber: 13, body: { kvlistValue: { values: [attr('a', 1)] } }, attributes: [attr('com.splunk.source', 'src')] })]));
    expect(toHecEvent(ref!, config({ otel_to_hec_fields: { severity_text: 'level' } }))).toEqual({
      time: 1767225600,
      source: 'src',
      event: { a: 1 },
      fields: { 'service.name': 'checkout', level: 'WARN', 'otel.log.severity.number': 13 },
    });
  });
});

describe('splunk_hec answers', () => {
  const h = new Headers();
  it('maps HEC codes to retry, per-event refusal and permanent failure', () => {
    expect(judgeReply(200, h, '{"text":"Success","code":0,"ackId":3}')).toEqual({ kind: 'ok', ackId: 3 });
    expect(judgeReply(503, new Headers({ 'retry-after': '2' }), '{"text":"Server is busy","code":9}')).toMatchObject({ kind: 'retry', retryAfterMs: 2000 });
    expect(judgeReply(500, h, '{"text":"Internal server error","code":8}').kind).toBe('retry');
    expect(judgeReply(400, h, '{"text":"Invalid data format","code":6,"invalid-event-number":4}')).toMatchObject({ kind: 'bad_event', event: 4 });
    expect(judgeReply(400, h, '{"text":"Incorrect index","code":7}')).toMatchObject({ kind: 'bad_event', event: undefined });
    expect(judgeReply(403, h, '{"text":"Invalid token","code":4}').kind).toBe('permanent');
    expect(judgeReply(400, h, '{"text":"Data channel is missing","code":10}').kind).toBe('permanent');
    expect(judgeReply(413, h, 'too large').kind).toBe('too_large');
    expect(judgeReply(502, h, '<html>bad gateway</html>').kind).toBe('retry');
  });
});

describe('splunk_hec config', () => {
  it('has the Collector defaults and ack off', () => {
    expect(config()).toMatchObject({ max_content_length_logs: 2_097_152, max_event_size: 5_242_880, disable_compression: false, splunk_app_name: 'OpenTelemetry Collector Contrib', timeout: 15_000, ack: { enabled: false, poll_interval: 1_000, timeout: 60_000 } });
  });

  it('wants a GUID channel and refuses export_raw', () => {
    expect(splunkHecConfigSchema.safeParse({ token: 't', endpoint: 'http://x/services/collector', ack: { enabled: true, channel: 'abc' } }).success).toBe(false);
    expect(splunkHecConfigSchema.safeParse({ token: 't', endpoint: 'http://x/services/collector', export_raw: true }).success).toBe(false);
  });

  it('polls acks next to the events endpoint', () => {
    expect(ackUrl('https://s:8088/services/collector').href).toBe('https://s:8088/services/collector/ack');
    expect(ackUrl('https://s:8088/services/collector/event').href).toBe('https://s:8088/services/collector/ack');
    expect(ackUrl('https://proxy/hec').href).toBe('https://proxy/hec/ack');
  });
});
