import { resolve } from 'node:path';
import protobuf from 'protobufjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AnyValue, KeyValue } from '../../src/pdata/model.js';
import { editSignalAttributes, type AttributeEditor, type SpanFacts } from '../../src/pdata/signal-attributes.js';
import { compileActions, type ActionConfig } from '../../src/processors/helper/actions-config.js';
import { applyActions } from '../../src/processors/helper/apply-actions.js';
import { matchPropertiesSchema } from '../../src/processors/attributes/match-config.js';
import { buildMetricMatcher } from '../../src/processors/attributes/metric-matcher.js';
import { buildSpanMatcher } from '../../src/processors/attributes/span-matcher.js';

/**
 * The wire rewrite of traces and metrics attributes against a slow path that shares none of its
 * walking: protobufjs decodes the whole request, the same actions run on each attribute list, and
 * protobufjs encodes it again. Both results, decoded by protobufjs, must be field-identical on a
 * random corpus of every span and data point shape.
 */

const PROTO_ROOT = resolve(import.meta.dirname, '../../proto');
let TraceReq: protobuf.Type;
let MetricsReq: protobuf.Type;

beforeAll(() => {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => resolve(PROTO_ROOT, target);
  root.loadSync(['opentelemetry/proto/collector/trace/v1/trace_service.proto', 'opentelemetry/proto/collector/metrics/v1/metrics_service.proto']);
  TraceReq = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
  MetricsReq = root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest');
});

/** A small seeded PRNG (mulberry32): the corpus is the same on every run. */
function rng(seed: number) {
  let a = seed;
  const next = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]! };
}
type Rng = ReturnType<typeof rng>;

const KEYS = ['service.name', 'http.method', 'http.url', 'user.id', 'db.statement', 'count', 'ratio', 'flag', 'env', 'path'];

function randomValue(r: Rng, depth = 0): object {
  switch (r.int(depth < 2 ? 7 : 5)) {
    case 0:
      return { stringValue: r.pick(['GET', '/api/v1/users/42', 'prod', '', 'héllo wörld', '12', '3.5']) };
    case 1:
      return { intValue: r.pick(['0', '7', '-3', '9223372036854775807', '-9223372036854775808']) };
    case 2:
      return { doubleValue: r.pick([0, 1.5, -2.25, 1e300]) };
    case 3:
      return { boolValue: r.next() < 0.5 };
    case 4:
      return { bytesValue: Buffer.from([1, 2, r.int(256)]) };
    case 5:
      return { arrayValue: { values: [randomValue(r, depth + 1), randomValue(r, depth + 1)] } };
    default:
      return { kvlistValue: { values: [{ key: 'inner', value: randomValue(r, depth + 1) }] } };
  }
}

const randomAttrs = (r: Rng) => Array.from({ length: r.int(5) }, () => ({ key: r.pick(KEYS), value: randomValue(r) }));
const resource = (r: Rng) => (r.next() < 0.2 ? {} : { resource: { attributes: randomAttrs(r), droppedAttributesCount: r.int(2) } });

function randomTraces(r: Rng) {
  return {
    resourceSpans: Array.from({ length: 1 + r.int(3) }, () => ({
      ...resource(r),
      schemaUrl: r.pick(['', 'https://opentelemetry.io/schemas/1.21.0']),
      scopeSpans: Array.from({ length: 1 + r.int(2) }, () => ({
        scope: { name: r.pick(['lib-a', 'lib-b']), version: r.pick(['1', '2']) },
        spans: Array.from({ length: r.int(4) }, (_, i) => ({
          traceId: Buffer.alloc(16, i + 1),
          spanId: Buffer.alloc(8, i + 1),
          name: r.pick(['checkout', 'GET /users', 'db.query']),
          kind: r.int(6),
          startTimeUnixNano: '1700000000000000000',
          endTimeUnixNano: '1700000000500000000',
          attributes: randomAttrs(r),
          droppedAttributesCount: r.int(2),
          events: r.next() < 0.5 ? [{ name: 'retry', timeUnixNano: '1700000000100000000', attributes: randomAttrs(r) }] : [],
          status: { code: r.int(3), message: r.pick(['', 'boom']) },
        })),
      })),
    })),
  };
}

function randomMetrics(r: Rng) {
  const points = (extra: () => object) => Array.from({ length: r.int(3) }, () => ({ attributes: randomAttrs(r), timeUnixNano: '1700000000000000000', ...extra() }));
  const metric = () => {
    const name = r.pick(['requests', 'latency', 'queue.size']);
    switch (r.int(5)) {
      case 0:
        return { name, gauge: { dataPoints: points(() => ({ asDouble: 1.5 })) } };
      case 1:
        return { name, sum: { dataPoints: points(() => ({ asInt: '3', exemplars: [{ asInt: '1', filteredAttributes: randomAttrs(r) }] })), aggregationTemporality: 2, isMonotonic: true } };
      case 2:
        return { name, histogram: { dataPoints: points(() => ({ count: '4', sum: 10, bucketCounts: ['1', '3'], explicitBounds: [5] })), aggregationTemporality: 1 } };
      case 3:
        return { name, exponentialHistogram: { dataPoints: points(() => ({ count: '2', scale: -1, positive: { offset: -2, bucketCounts: ['2'] } })) } };
      default:
        return { name, summary: { dataPoints: points(() => ({ count: '2', sum: 3, quantileValues: [{ quantile: 0.5, value: 1 }] })) } };
    }
  };
  return {
    resourceMetrics: Array.from({ length: 1 + r.int(3) }, () => ({
      ...resource(r),
      scopeMetrics: [{ scope: { name: 'meter' }, metrics: Array.from({ length: 1 + r.int(3) }, metric) }],
    })),
  };
}

// ---- the slow path: protobufjs objects ⇄ the model's KeyValue ----
type PbValue = Record<string, any>;
function toModel(v: PbValue | undefined): AnyValue | undefined {
  if (!v) return undefined;
  if (v.stringValue !== undefined) return { stringValue: v.stringValue };
  if (v.boolValue !== undefined) return { boolValue: v.boolValue };
  if (v.intValue !== undefined) return { intValue: BigInt(v.intValue.toString()) };
  if (v.doubleValue !== undefined) return { doubleValue: v.doubleValue };
  if (v.bytesValue !== undefined) return { bytesValue: new Uint8Array(v.bytesValue) };
  if (v.arrayValue !== undefined) return { arrayValue: { values: (v.arrayValue.values ?? []).map((x: PbValue) => toModel(x) ?? {}) } };
  if (v.kvlistValue !== undefined) return { kvlistValue: { values: kvsToModel(v.kvlistValue.values) } };
  return {};
}
const kvsToModel = (kvs: PbValue[] | undefined): KeyValue[] => (kvs ?? []).map((kv) => ({ key: kv.key ?? '', value: toModel(kv.value) }));
function fromModel(v: AnyValue | undefined): PbValue | undefined {
  if (!v) return undefined;
  if (v.intValue !== undefined) return { intValue: v.intValue.toString() };
  if (v.bytesValue !== undefined) return { bytesValue: Buffer.from(v.bytesValue) };
  if (v.arrayValue) return { arrayValue: { values: v.arrayValue.values.map(fromModel) } };
  if (v.kvlistValue) return { kvlistValue: { values: kvsFromModel(v.kvlistValue.values) } };
  return { ...v };
}
const kvsFromModel = (kvs: KeyValue[]) => kvs.map((kv) => ({ key: kv.key, value: fromModel(kv.value) }));

/** Runs `edit` on a protobufjs object's attribute list and puts the result back. */
function editList(holder: PbValue, field: string, edit: (attrs: KeyValue[]) => void): void {
  const attrs = kvsToModel(holder[field]);
  edit(attrs);
  holder[field] = kvsFromModel(attrs);
}

function slowPath(type: protobuf.Type, bytes: Uint8Array, editor: AttributeEditor): Uint8Array {
  const req = type.toObject(type.decode(bytes), { longs: String, bytes: Buffer }) as PbValue;
  for (const rs of req.resourceSpans ?? req.resourceMetrics ?? []) {
    if (editor.resource) {
      rs.resource ??= {};
      editList(rs.resource, 'attributes', editor.resource);
    }
    for (const ss of rs.scopeSpans ?? []) {
      for (const span of ss.spans ?? []) {
        const facts: SpanFacts = { name: span.name ?? '', kind: span.kind ?? 0, resource: kvsToModel(rs.resource?.attributes), scope: { name: ss.scope?.name ?? '', version: ss.scope?.version ?? '' } };
        if (editor.span) editList(span, 'attributes', (attrs) => editor.span!(attrs, facts));
      }
    }
    for (const sm of rs.scopeMetrics ?? []) {
      for (const m of sm.metrics ?? []) {
        const data = m.gauge ?? m.sum ?? m.histogram ?? m.exponentialHistogram ?? m.summary;
        const facts = { metric: m.name ?? '', resource: kvsToModel(rs.resource?.attributes) };
        for (const p of data?.dataPoints ?? []) if (editor.dataPoint) editList(p, 'attributes', (attrs) => editor.dataPoint!(attrs, facts));
      }
    }
  }
  return type.encode(type.fromObject(req)).finish();
}

const view = (type: protobuf.Type, bytes: Uint8Array) => type.toObject(type.decode(bytes), { longs: String, bytes: String, defaults: false });

const ACTIONS: ActionConfig[] = [
  { action: 'insert', key: 'env', value: 'prod' },
  { action: 'upsert', key: 'region', value: 'eu-west-1' },
  { action: 'update', key: 'http.method', value: 'POST' },
  { action: 'upsert', key: 'copied', from_attribute: 'user.id' },
  { action: 'upsert', key: 'tenant', from_context: 'metadata.x-tenant' },
  { action: 'hash', key: 'user.id' },
  { action: 'extract', key: 'http.url', pattern: '^/api/(?P<version>v\\d+)/' },
  { action: 'convert', key: 'count', converted_type: 'int' },
  { action: 'delete', pattern: '^db\\.' },
];
const actions = compileActions(ACTIONS).compiled;
const client = { metadata: new Map([['x-tenant', ['acme']]]) };
const apply = (attrs: KeyValue[]) => applyActions(actions, attrs, client);

describe('attributes of traces and metrics edited in the wire bytes', () => {
  it('resource actions on traces and metrics give what decode → edit → encode gives', () => {
    for (let seed = 1; seed <= 150; seed++) {
      const r = rng(seed);
      for (const [type, message] of [[TraceReq, randomTraces(r)], [MetricsReq, randomMetrics(r)]] as const) {
        const bytes = type.encode(type.fromObject(message)).finish();
        const editor = { resource: apply };
        const fast = editSignalAttributes(type === TraceReq ? 'traces' : 'metrics', bytes, editor);
        expect(view(type, fast), `seed ${seed}`).toEqual(view(type, slowPath(type, bytes, editor)));
      }
    }
  });

  it('span and data point actions give what decode → edit → encode gives', () => {
    for (let seed = 1; seed <= 150; seed++) {
      const r = rng(seed);
      const traces = TraceReq.encode(TraceReq.fromObject(randomTraces(r))).finish();
      expect(view(TraceReq, editSignalAttributes('traces', traces, { span: apply }))).toEqual(view(TraceReq, slowPath(TraceReq, traces, { span: apply })));
      const metrics = MetricsReq.encode(MetricsReq.fromObject(randomMetrics(r))).finish();
      expect(view(MetricsReq, editSignalAttributes('metrics', metrics, { dataPoint: apply }))).toEqual(view(MetricsReq, slowPath(MetricsReq, metrics, { dataPoint: apply })));
    }
  });

  it('span include/exclude (services, span_names, span_kinds, libraries) select the same spans as on the decoded tree', () => {
    const include = buildSpanMatcher(matchPropertiesSchema.parse({ match_type: 'regexp', span_names: ['^GET', 'check'], span_kinds: ['SERVER|CLIENT'] }));
    const exclude = buildSpanMatcher(matchPropertiesSchema.parse({ match_type: 'strict', libraries: [{ name: 'lib-b', version: '2' }] }));
    const editor: AttributeEditor = { span: (attrs, span) => void (include(attrs, span) && !exclude(attrs, span) && apply(attrs)) };
    let edited = 0;
    for (let seed = 1; seed <= 150; seed++) {
      const traces = TraceReq.encode(TraceReq.fromObject(randomTraces(rng(seed)))).finish();
      const fast = editSignalAttributes('traces', traces, editor);
      if (fast !== traces) edited++;
      expect(view(TraceReq, fast)).toEqual(view(TraceReq, slowPath(TraceReq, traces, editor)));
    }
    expect(edited).toBeGreaterThan(10);
  });

  it('metric include/exclude (metric_names, resources) select the same data points as on the decoded tree', () => {
    const include = buildMetricMatcher(matchPropertiesSchema.parse({ match_type: 'regexp', metric_names: ['^(requests|latency)$'] }));
    const exclude = buildMetricMatcher(matchPropertiesSchema.parse({ match_type: 'strict', resources: [{ key: 'env' }] }));
    const editor: AttributeEditor = { dataPoint: (attrs, point) => void (include(point) && !exclude(point) && apply(attrs)) };
    let edited = 0;
    for (let seed = 1; seed <= 150; seed++) {
      const metrics = MetricsReq.encode(MetricsReq.fromObject(randomMetrics(rng(seed)))).finish();
      const fast = editSignalAttributes('metrics', metrics, editor);
      if (fast !== metrics) edited++;
      expect(view(MetricsReq, fast)).toEqual(view(MetricsReq, slowPath(MetricsReq, metrics, editor)));
    }
    expect(edited).toBeGreaterThan(10);
  });

  it('returns the request bytes themselves when no attribute list changes, and copies untouched spans byte for byte', () => {
    const traces = TraceReq.encode(TraceReq.fromObject(randomTraces(rng(7)))).finish();
    expect(editSignalAttributes('traces', traces, { span: () => {} })).toBe(traces);
    expect(editSignalAttributes('traces', traces, { resource: () => {} })).toBe(traces);
    // Only service.name matters here: a resource edit leaves every span's bytes as they were.
    const one = TraceReq.encode(TraceReq.fromObject({ resourceSpans: [{ scopeSpans: [{ spans: [{ name: 'a', attributes: [{ key: 'k', value: { stringValue: 'v' } }] }] }] }] })).finish();
    const out = editSignalAttributes('traces', one, { resource: (attrs) => void attrs.push({ key: 'mode', value: { stringValue: 'workshop' } }) });
    const spanBytes = Buffer.from(one).subarray(2 + 2); // request → ResourceSpans → ScopeSpans payload
    expect(Buffer.from(out).includes(spanBytes)).toBe(true);
    expect(view(TraceReq, out)).toMatchObject({ resourceSpans: [{ resource: { attributes: [{ key: 'mode', value: { stringValue: 'workshop' } }] } }] });
  });

  it('refuses malformed bytes with a clear error', () => {
    expect(() => editSignalAttributes('traces', Uint8Array.from([0x0a, 0x05, 0x12, 0x09]), { span: apply })).toThrow(/invalid protobuf/);
    expect(() => editSignalAttributes('metrics', Uint8Array.from([0x0a, 0x02, 0x0a, 0x07]), { resource: apply })).toThrow(/invalid protobuf/);
  });
});
