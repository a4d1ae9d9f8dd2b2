/**
 * The traces wire rewrite of the `resource` and `attributes` processors (src/pdata/signal-attributes.ts)
 * against protobufjs decoding and re-encoding the same request (the floor of any decode → edit →
 * encode path), on a 100-span request with 10 attributes per span.
 * Run: npx tsx bench/signal-attributes.bench.ts
 */
import { resolve } from 'node:path';
import protobuf from 'protobufjs';
import { editSignalAttributes } from '../src/pdata/signal-attributes.js';
import { applyActions } from '../src/processors/helper/apply-actions.js';
import { compileActions } from '../src/processors/helper/actions-config.js';

const root = new protobuf.Root();
root.resolvePath = (_o, t) => resolve(import.meta.dirname, '../proto', t);
root.loadSync(['opentelemetry/proto/collector/trace/v1/trace_service.proto']);
const T = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
const span = (i: number) => ({ traceId: Buffer.alloc(16, 1), spanId: Buffer.alloc(8, i), name: 'GET /api/users', kind: 2, startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000000500000000',
  attributes: Array.from({ length: 10 }, (_, k) => ({ key: `attr.${k}`, value: { stringValue: `value-${k}-${i}` } })), status: { code: 1 } });
const req = { resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'shop' } }] }, scopeSpans: [{ scope: { name: 'lib' }, spans: Array.from({ length: 100 }, (_, i) => span(i)) }] }] };
const bytes = T.encode(T.fromObject(req)).finish();
const res = compileActions([{ action: 'upsert', key: 'mode', value: 'workshop' }]).compiled;
const spanActs = compileActions([{ action: 'insert', key: 'env', value: 'prod' }]).compiled;
function time(name: string, fn: () => unknown) {
  for (let i = 0; i < 200; i++) fn();
  const n = 2000; const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  console.log(name, (Number(process.hrtime.bigint() - t0) / n / 1000).toFixed(1), 'us/request');
}
console.log('request bytes', bytes.length, '(100 spans, 10 attributes each)');
time('resource upsert, wire rewrite', () => editSignalAttributes('traces', bytes, { resource: (a) => applyActions(res, a) }));
time('span insert on every span, wire rewrite', () => editSignalAttributes('traces', bytes, { span: (a) => applyActions(spanActs, a) }));
time('span no-op (nothing changes), wire walk', () => editSignalAttributes('traces', bytes, { span: () => {} }));
time('protobufjs decode+encode only (slow path floor)', () => T.encode(T.decode(bytes)).finish());
