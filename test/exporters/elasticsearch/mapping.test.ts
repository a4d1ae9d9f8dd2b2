import { describe, expect, it } from 'vitest';
import { elasticsearchConfigSchema } from '../../../src/exporters/elasticsearch/config.js';
import { isoNanos, toDocument, UnmappableRecord } from '../../../src/exporters/elasticsearch/document.js';
import { documentId, routeOf } from '../../../src/exporters/elasticsearch/routing.js';
import { flattenRecords, type RecordRef } from '../../../src/exporters/helper/split.js';
import { newLogRecord, type KeyValue, type LogRecord } from '../../../src/pdata/model.js';
import { attr } from '../../../src/pdata/values.js';
import { BASE_TIME_NANOS, logsOf } from '../datadog/build-logs.js';

/** The document shapes of docs/elasticsearch.md's mapping table, and its routing and id rules. */

const config = (extra: Record<string, unknown> = {}) => elasticsearchConfigSchema.parse({ endpoint: 'http://127.0.0.1:9200', ...extra });

function ref(record: Partial<LogRecord>, resource: KeyValue[] = [attr('service.name', 'make'), attr('host.name', 'gw-1')]): RecordRef {
  return flattenRecords(logsOf([newLogRecord({ timeUnixNano: BASE_TIME_NANOS + 123_456_789n, ...record })], resource))[0]!;
}

const sample = () =>
  ref({
    severityNumber: 17,
    severityText: 'ERROR',
    eventName: 'make.scenario.execution',
    body: { stringValue: 'Scenario failed' },
    attributes: [attr('make.execution.id', 'abc'), attr('elasticsearch.document_id', 'doc-9'), attr('data_stream.dataset', 'make')],
    traceId: new Uint8Array(16).fill(1),
    spanId: new Uint8Array(8).fill(2),
  });

describe('elasticsearch document mapping', () => {
  it('otel: the OTel-native shape with data_stream at the top and routing attributes left out', () => {
    const r = sample();
    const route = routeOf(r, config());
    expect(route).toMatchObject({ index: 'logs-make.otel-default', action: 'create', id: 'abc' });
    expect(toDocument(r, 'otel', route.dataStream)).toEqual({
      '@timestamp': '2026-01-01T00:00:00.123456789Z',
      data_stream: { type: 'logs', dataset: 'make.otel', namespace: 'default' },
      severity_text: 'ERROR',
      severity_number: 17,
      event_name: 'make.scenario.execution',
      trace_id: '01'.repeat(16),
      span_id: '02'.repeat(8),
      body: { text: 'Scenario failed' },
      attributes: { 'make.execution.id': 'abc' },
      resource: { attributes: { 'service.name': 'make', 'host.name': 'gw-1' } },
      scope: { name: 'test', version: '1' },
    });
  });

  it('otel: a map body is body.structured', () => {
    expect(toDocument(ref({ body: { kvlistValue: { values: [attr('a', 1)] } } }), 'otel')).toMatchObject({ body: { structured: { a: 1 } } });
  });

  it('ecs: ECS field names for resource attributes, message and log.level', () => {
    expect(toDocument(sample(), 'ecs')).toMatchObject({
      '@timestamp': '2026-01-01T00:00:00.123456789Z',
      message: 'Scenario failed',
      'log.level': 'ERROR',
      'event.severity': 17,
      'service.name': 'make',
      'host.hostname': 'gw-1',
      'trace.id': '01'.repeat(16),
      'make.execution.id': 'abc',
      'agent.name': 'otlp',
    });
  });

  it('none prefixes attributes with Attributes.; raw puts them at the top level', () => {
    expect(toDocument(sample(), 'none')).toMatchObject({ Body: 'Scenario failed', SeverityText: 'ERROR', 'Attributes.make.execution.id': 'abc', 'Resource.service.name': 'make', 'Scope.name': 'test' });
    const raw = toDocument(sample(), 'raw');
    expect(raw).toMatchObject({ 'make.execution.id': 'abc', Body: 'Scenario failed' });
    expect(raw).not.toHaveProperty('elasticsearch.document_id');
  });

  it('bodymap: the map body is the document; any other body cannot be mapped', () => {
    expect(toDocument(ref({ body: { kvlistValue: { values: [attr('@timestamp', '2026-01-01'), attr('n', 1)] } } }), 'bodymap')).toEqual({ '@timestamp': '2026-01-01', n: 1 });
    expect(() => toDocument(ref({ body: { stringValue: 'x' } }), 'bodymap')).toThrow(UnmappableRecord);
  });

  it('maps every fixed64 timestamp, up to the largest, with nine fraction digits', () => {
    expect(isoNanos(0n)).toBe('1970-01-01T00:00:00.000000000Z');
    expect(toDocument(ref({ timeUnixNano: 2n ** 64n - 1n }), 'otel')['@timestamp']).toBe('2554-07-21T23:34:33.709551615Z');
  });
});

describe('elasticsearch routing and document ids', () => {
  it('uses logs_index as given, with index actions for a plain index', () => {
    expect(routeOf(sample(), config({ logs_index: 'make-logs' }))).toMatchObject({ index: 'make-logs', action: 'index', id: 'abc' });
  });

  it('takes elasticsearch.index first, and prefix/suffix around logs_index when dynamic', () => {
    expect(routeOf(ref({ attributes: [attr('elasticsearch.index', 'special')] }), config({ logs_index: 'x' })).index).toBe('special');
    const r = ref({}, [attr('elasticsearch.index.prefix', 'eu-'), attr('elasticsearch.index.suffix', '-v2')]);
    expect(routeOf(r, config({ logs_index: 'make', logs_dynamic_index: { enabled: true } })).index).toBe('eu-make-v2');
  });

  it('names the data stream from data_stream.* (record over resource), .otel only in otel mode', () => {
    const r = ref({ attributes: [attr('data_stream.namespace', 'prod')] }, [attr('data_stream.dataset', 'make'), attr('data_stream.namespace', 'dev')]);
    expect(routeOf(r, config()).index).toBe('logs-make.otel-prod');
    expect(routeOf(r, config({ mapping: { mode: 'ecs' } })).index).toBe('logs-make-prod');
  });

  it('appends the record date with logstash_format', () => {
    expect(routeOf(ref({}), config({ logs_index: 'make', logstash_format: { enabled: true } })).index).toBe('make-2026.01.01');
  });

  it('takes the document id from elasticsearch.document_id only with logs_dynamic_id, else from a Make execution', () => {
    expect(documentId(sample(), config({ logs_dynamic_id: { enabled: true } }))).toBe('doc-9');
    expect(documentId(sample(), config())).toBe('abc');
    expect(documentId(ref({ eventName: 'other.event', attributes: [attr('make.execution.id', 'abc')] }), config())).toBeUndefined();
    expect(documentId(ref({ attributes: [] }), config())).toBeUndefined();
  });

  it('honours logs_dynamic_pipeline, else pipeline', () => {
    const r = ref({ attributes: [attr('elasticsearch.ingest_pipeline', 'p2')] });
    expect(routeOf(r, config({ pipeline: 'p1' })).pipeline).toBe('p1');
    expect(routeOf(r, config({ pipeline: 'p1', logs_dynamic_pipeline: { enabled: true } })).pipeline).toBe('p2');
  });
});

describe('elasticsearch config', () => {
  const problems = (raw: Record<string, unknown>) => {
    const r = elasticsearchConfigSchema.safeParse(raw);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('has the Collector defaults', () => {
    const c = config();
    expect(c).toMatchObject({ mapping: { mode: 'otel' }, compression: 'gzip', flush: { bytes: 5_000_000 }, timeout: 90_000, retry: { enabled: true, retry_on_status: [429, 500, 502, 503, 504] } });
  });

  it('wants exactly one of endpoint, endpoints and cloudid, and one kind of credentials', () => {
    expect(problems({ endpoint: 'http://a:9200', endpoints: ['http://b:9200'] })).toEqual(['endpoint: set only one of endpoint, endpoints and cloudid']);
    expect(problems({ endpoint: 'http://a:9200', api_key: 'k'.repeat(10), user: 'u', password: 'p' })).toContain('api_key: set either api_key or user/password, not both');
    expect(problems({ endpoint: 'http://a:9200', mapping: { mode: 'fancy' } })[0]).toMatch(/^mapping\.mode/);
    expect(problems({ endpoint: 'http://a:9200', flush: { byts: 1 } })[0]).toMatch(/^flush/);
  });

  it('reads an Elastic Cloud id', async () => {
    const { elasticsearchUrls } = await import('../../../src/exporters/elasticsearch/config.js');
    const id = `my-deployment:${Buffer.from('eu-west-1.aws.found.io:443$abc123$kib456').toString('base64')}`;
    expect(elasticsearchUrls(config({ endpoint: undefined, cloudid: id }))).toEqual(['https://abc123.eu-west-1.aws.found.io:443']);
    expect(problems({ cloudid: 'garbage' })).toContain('cloudid: expected an Elastic Cloud id like "name:base64(host$es-uuid$kibana-uuid)"');
  });
});
