import type { AnyValue, KeyValue, LogRecord, Logs, ResourceLogs } from '../../src/pdata/model.js';
import { newLogRecord } from '../../src/pdata/model.js';
import { encodeLogs } from '../../src/pdata/proto.js';
import { randomLogs } from './random-logs.js';

/**
 * The corpus every fast path of the decode path is checked against its slow path on (wire-level
 * transform, Datadog JSON from the wire walk, …): records picked to hit the corners one at a
 * time, then seeded random requests for the combinations. Each entry is a request as a receiver
 * gets it: protobuf bytes, plus the decoded tree for building expectations.
 */

const s = (stringValue: string): AnyValue => ({ stringValue });
const kv = (key: string, value?: AnyValue): KeyValue => (value === undefined ? { key } : { key, value });
const id = (n: number, fill: number) => Uint8Array.from({ length: n }, (_, i) => (fill + i) & 0xff);
const T = 1_767_225_600_123_456_789n;

/** Records that each exercise one corner. */
function cornerRecords(): LogRecord[] {
  const records: LogRecord[] = [
    newLogRecord(), // every field absent
    newLogRecord({ body: s('') }), // empty string body
    newLogRecord({ body: {} }), // an AnyValue with no member set
    newLogRecord({ timeUnixNano: T, body: s('plain ASCII line'), attributes: [kv('x', { boolValue: false })] }),
    newLogRecord({ observedTimeUnixNano: T, body: s('héllo wörld — 日本語 🚀 "quoted" \\ back\nnew\tline \u0001'), attributes: [kv('ключ', s('значение')), kv('emoji 🚀', s('✓'))] }),
    newLogRecord({ body: s('x'.repeat(70_000)), attributes: [kv('big', s('y'.repeat(5000)))] }), // large body
    newLogRecord({
      body: { kvlistValue: { values: [kv('a', { intValue: 1n }), kv('nested', { kvlistValue: { values: [kv('deep', { kvlistValue: { values: [kv('deeper', s('z'))] } })] } })] } },
      attributes: [
        kv('http', { kvlistValue: { values: [kv('method', s('GET')), kv('status', { intValue: 200n }), kv('empty', { kvlistValue: { values: [] } })] } }),
        kv('list', { arrayValue: { values: [s('a'), { intValue: -5n }, { doubleValue: 1.5 }, { boolValue: true }, { arrayValue: { values: [] } }, { kvlistValue: { values: [kv('k', s('v')), kv('k', s('w'))] } }] } }),
        kv('bytes', { bytesValue: Uint8Array.from([0, 1, 2, 250, 255]) }),
        kv('empty-bytes', { bytesValue: new Uint8Array(0) }),
      ],
    }),
    newLogRecord({ body: { arrayValue: { values: [s('one'), { intValue: 2n }] } } }),
    newLogRecord({ body: { bytesValue: Uint8Array.from([104, 105]) } }),
    newLogRecord({ body: { intValue: -9_223_372_036_854_775_808n }, attributes: [kv('max', { intValue: 9_223_372_036_854_775_807n }), kv('safe', { intValue: 9_007_199_254_740_991n }), kv('unsafe', { intValue: 9_007_199_254_740_993n })] }),
    newLogRecord({ body: { doubleValue: Number.NaN }, attributes: [kv('inf', { doubleValue: Number.POSITIVE_INFINITY }), kv('ninf', { doubleValue: Number.NEGATIVE_INFINITY }), kv('negzero', { doubleValue: -0 }), kv('tiny', { doubleValue: 5e-324 }), kv('huge', { doubleValue: 1e300 })] }),
    newLogRecord({ body: { boolValue: true }, attributes: [kv('no-value'), kv('', s('empty key')), kv('unset', {})] }),
    newLogRecord({ droppedAttributesCount: 7, flags: 0xffffffff, traceId: id(16, 1), spanId: id(8, 9), eventName: 'evt', body: s('ids') }),
    newLogRecord({ traceId: new Uint8Array(16), spanId: new Uint8Array(8), body: s('zero ids') }),
    newLogRecord({ traceId: id(16, 0xf0), spanId: id(8, 0xf8), body: s('high ids'), severityText: 'Custom' }),
    newLogRecord({ attributes: [kv('dup', s('first')), kv('dup', s('second')), kv('x', { intValue: 3n })] }), // duplicate keys
    newLogRecord({ severityNumber: -3, severityText: 'neg' }),
    newLogRecord({ timeUnixNano: 18_446_744_073_709_551_615n, traceId: new Uint8Array(16).fill(0xff), spanId: Uint8Array.from([0, 0, 0, 0, 0, 0x1f, 0xff, 0xff]), body: s('uint64 max time, ids at the 2^53 edge') }),
    newLogRecord({ timeUnixNano: 999_999n, observedTimeUnixNano: T, body: s('time under a millisecond') }),
    newLogRecord({ observedTimeUnixNano: 1_000_000n, spanId: Uint8Array.from([0, 0, 0, 0, 0, 0x20, 0, 0]), body: s('observed only, id just above 2^53') }),
    newLogRecord({ severityNumber: 99, severityText: 'WAY UP' }),
  ];
  // Every severity number, with and without text.
  for (let n = 0; n <= 24; n++) records.push(newLogRecord({ timeUnixNano: T + BigInt(n), severityNumber: n, severityText: n % 2 ? `SEV${n}` : '', body: s(`severity ${n}`), attributes: [kv('n', { intValue: BigInt(n) })] }));
  return records;
}

function cornerLogs(): Logs {
  const records = cornerRecords();
  const resourceLogs: ResourceLogs[] = [
    {
      resource: { attributes: [kv('service.name', s('checkout')), kv('host.name', s('host-1')), kv('deployment.environment.name', s('prod')), kv('service.version', s('1.2.3')), kv('k8s', { kvlistValue: { values: [kv('pod', s('p-1'))] } })], droppedAttributesCount: 2 },
      schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
      scopeLogs: [
        { scope: { name: 'scope-a', version: '1', attributes: [kv('scope.attr', s('v'))], droppedAttributesCount: 1 }, schemaUrl: 'scope-schema', logRecords: records.slice(0, 20) },
        { logRecords: records.slice(20), schemaUrl: '' }, // no scope
        { logRecords: [], schemaUrl: '' }, // empty scope logs
      ],
    },
    { scopeLogs: [{ logRecords: [newLogRecord({ body: s('no resource at all') })], schemaUrl: '' }], schemaUrl: '' }, // no resource
    { resource: { attributes: [], droppedAttributesCount: 0 }, scopeLogs: [], schemaUrl: '' }, // nothing in it
    {
      // Resource keys that records and reserved fields collide with.
      resource: { attributes: [kv('x', s('from resource')), kv('dup', s('resource')), kv('service.name', { intValue: 42n })], droppedAttributesCount: 0 },
      scopeLogs: [{ logRecords: [newLogRecord({ attributes: [kv('x', s('from record'))], body: s('collision') }), newLogRecord({ attributes: [kv('message', s('attr message')), kv('status', s('attr status'))] })], schemaUrl: '' }],
      schemaUrl: '',
    },
  ];
  return { resourceLogs };
}

export interface CorpusEntry {
  name: string;
  logs: Logs;
  bytes: Uint8Array;
}

/** The corner cases in one request, then `randomSeeds` seeded random requests (test/pdata/random-logs.ts). */
export function corpus(randomSeeds = 12): CorpusEntry[] {
  const entries: CorpusEntry[] = [{ name: 'corners', logs: cornerLogs(), bytes: new Uint8Array(0) }];
  entries.push({ name: 'empty request', logs: { resourceLogs: [] }, bytes: new Uint8Array(0) });
  for (let seed = 1; seed <= randomSeeds; seed++) entries.push({ name: `random seed ${seed}`, logs: randomLogs(seed), bytes: new Uint8Array(0) });
  for (const e of entries) e.bytes = encodeLogs(e.logs);
  return entries;
}
