import { describe, expect, it } from 'vitest';
import { toDatadogEntry, statusFromSeverity, type MappingOptions } from '../../../src/exporters/datadog/mapping.js';
import { flattenRecords } from '../../../src/exporters/helper/split.js';
import { newLogRecord } from '../../../src/pdata/model.js';
import { attr } from '../../../src/pdata/values.js';
import { BASE_TIME_NANOS, logsOf } from './build-logs.js';

const options: MappingOptions = { source: 'otlp_log_ingestion', tags: ['team:payments'] };

const TRACE_ID = Uint8Array.from(Buffer.from('0102030405060708f0e0d0c0b0a09080', 'hex'));
const SPAN_ID = Uint8Array.from(Buffer.from('ffffffffffffffff', 'hex'));

function mapOne(record = newLogRecord(), resource = [attr('service.name', 'checkout')], opts = options) {
  return toDatadogEntry(flattenRecords(logsOf([record], resource))[0], opts);
}

describe('Datadog entry mapping', () => {
  it('maps every documented field of a fully populated record', () => {
    const entry = mapOne(
      newLogRecord({
        timeUnixNano: BASE_TIME_NANOS + 123_456_789n,
        severityNumber: 17,
        severityText: 'ERROR',
        body: { stringValue: 'payment declined' },
        attributes: [attr('http.status_code', 402), attr('user', { id: 'u-1', tier: { name: 'gold' } }), attr('retry', true)],
        traceId: TRACE_ID,
        spanId: SPAN_ID,
      }),
      [attr('service.name', 'checkout'), attr('host.name', 'web-1'), attr('deployment.environment.name', 'prod'), attr('service.version', '1.4.2'), attr('cloud.region', 'eu-west-1')],
    );
    expect(entry).toEqual({
      message: 'payment declined',
      status: 'error',
      timestamp: 1_767_225_600_123,
      'otel.timestamp': (BASE_TIME_NANOS + 123_456_789n).toString(),
      hostname: 'web-1',
      service: 'checkout',
      ddsource: 'otlp_log_ingestion',
      ddtags: 'team:payments,env:prod,version:1.4.2',
      'service.name': 'checkout',
      'host.name': 'web-1',
      'deployment.environment.name': 'prod',
      'service.version': '1.4.2',
      'cloud.region': 'eu-west-1',
      'http.status_code': 402,
      'user.id': 'u-1',
      'user.tier.name': 'gold',
      retry: true,
      'otel.severity_number': '17',
      'otel.severity_text': 'ERROR',
      'otel.trace_id': '0102030405060708f0e0d0c0b0a09080',
      'otel.span_id': 'ffffffffffffffff',
      'dd.trace_id': BigInt('0xf0e0d0c0b0a09080').toString(),
      'dd.span_id': '18446744073709551615',
    });
  });

  it.each([
    [1, 'trace'], [4, 'trace'], [5, 'debug'], [8, 'debug'], [9, 'info'], [12, 'info'],
    [13, 'warn'], [16, 'warn'], [17, 'error'], [20, 'error'], [21, 'fatal'], [24, 'fatal'],
  ])('maps severity number %i to status %s', (n, status) => {
    expect(statusFromSeverity(n, 'ignored')).toBe(status);
  });

  it('uses the lower-cased severity text when the severity number is unset', () => {
    expect(mapOne(newLogRecord({ severityText: 'Warning' })).status).toBe('warning');
    expect(mapOne(newLogRecord()).status).toBeUndefined();
  });

  it('falls back to observed time, and to the configured hostname when the resource has no host.name', () => {
    const entry = mapOne(newLogRecord({ observedTimeUnixNano: BASE_TIME_NANOS }), [], { ...options, hostname: 'gateway-1', tags: [] });
    expect(entry.timestamp).toBe(1_767_225_600_000);
    expect(entry.hostname).toBe('gateway-1');
    expect(entry.service).toBeUndefined();
    expect(entry.ddtags).toBeUndefined();
  });

  it('lets record attributes override resource attributes, and reserved fields override both', () => {
    const entry = mapOne(newLogRecord({ body: { stringValue: 'real' }, attributes: [attr('region', 'record'), attr('message', 'attr')] }), [attr('region', 'resource')]);
    expect(entry.region).toBe('record');
    expect(entry.message).toBe('real');
  });

  it('keeps values JSON-safe: big int64 as decimal text, bytes as base64, maps in arrays as objects', () => {
    const entry = mapOne(
      newLogRecord({
        body: { kvlistValue: { values: [attr('a', 1)] } },
        attributes: [attr('big', 2n ** 63n - 1n), attr('raw', Uint8Array.from([1, 2, 3])), attr('list', [1, 'two', { three: 3 }]), attr('nan', Number.NaN)],
      }),
    );
    expect(entry.big).toBe('9223372036854775807');
    expect(entry.raw).toBe('AQID');
    expect(entry.list).toEqual([1, 'two', { three: 3 }]);
    expect(entry.nan).toBe('NaN');
    // A map body is JSON text with the same value rules as attributes: small ints stay numbers.
    expect(entry.message).toBe('{"a":1}');
  });

  it('omits trace fields for absent or all-zero ids', () => {
    const entry = mapOne(newLogRecord({ traceId: new Uint8Array(16), spanId: new Uint8Array(0) }));
    expect(Object.keys(entry).filter((k) => k.includes('trace_id') || k.includes('span_id'))).toEqual([]);
  });
});
