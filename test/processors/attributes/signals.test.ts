import { describe, expect, it } from 'vitest';
import { readConfigFiles } from '../../../src/config/load.js';
import { validateConfig } from '../../../src/config/validate.js';
import { jsonToProto, protoToJson } from '../../../src/pdata/schema-codec.js';
import { REQUEST_DEF, signalRequest, type BytesSignal, type SignalRequest } from '../../../src/pdata/signal.js';
import { attributesProcessorFactory } from '../../../src/processors/attributes/factory.js';
import { resourceProcessorFactory } from '../../../src/processors/resource/factory.js';
import { defaultRegistry } from '../../../src/registry.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { Telemetry } from '../../../src/telemetry/telemetry.js';

/**
 * `resource` and `attributes` in traces and metrics pipelines, as a user configures them: what
 * reaches the next component, and what `validate` says about match keys a signal cannot use.
 */

type Factory = typeof attributesProcessorFactory | typeof resourceProcessorFactory;

async function run(factory: Factory, config: unknown, signal: BytesSignal, json: object, client?: SignalRequest['client']): Promise<any> {
  const out: SignalRequest[] = [];
  const p = factory.createSignal!(
    { id: factory.type, telemetry: new Telemetry({ processMetrics: false }), logger: silentLogger },
    factory.schema.parse(config) as never,
    { consume: async (r) => void out.push(r) },
    signal,
  );
  await p.consume({ ...signalRequest(signal, jsonToProto(REQUEST_DEF[signal], json)), client });
  expect(out).toHaveLength(1);
  expect(out[0]!.items).toBe(signalRequest(signal, out[0]!.bytes).items);
  return protoToJson(REQUEST_DEF[signal], out[0]!.bytes);
}

const str = (key: string, v: string) => ({ key, value: { stringValue: v } });
const traces = {
  resourceSpans: [
    { resource: { attributes: [str('service.name', 'checkout')] }, scopeSpans: [{ scope: { name: 'http' }, spans: [{ name: 'GET /cart', kind: 2, attributes: [str('http.url', '/cart?id=1')] }, { name: 'db.query', kind: 3, attributes: [str('db.statement', 'SELECT 1')] }] }] },
    { scopeSpans: [{ spans: [{ name: 'orphan', kind: 1 }] }] },
  ],
};
const metrics = {
  resourceMetrics: [
    {
      resource: { attributes: [str('service.name', 'checkout')] },
      scopeMetrics: [
        {
          metrics: [
            { name: 'requests', sum: { dataPoints: [{ asInt: '3', attributes: [str('route', '/cart')] }], aggregationTemporality: 2, isMonotonic: true } },
            { name: 'latency', histogram: { dataPoints: [{ count: '2', bucketCounts: ['1', '1'], explicitBounds: [10] }], aggregationTemporality: 2 } },
            { name: 'size', exponentialHistogram: { dataPoints: [{ count: '1', scale: 1 }] } },
            { name: 'q', summary: { dataPoints: [{ count: '1', sum: 2 }] } },
          ],
        },
      ],
    },
  ],
};
const keys = (attrs: { key: string }[] | undefined) => (attrs ?? []).map((a) => a.key);

describe('resource processor on traces and metrics', () => {
  it('adds a resource attribute to every ResourceSpans, creating the resource where there is none', async () => {
    const out = await run(resourceProcessorFactory, { attributes: [{ key: 'mode', value: 'workshop', action: 'upsert' }] }, 'traces', traces);
    expect(out.resourceSpans[0].resource.attributes).toEqual([str('service.name', 'checkout'), str('mode', 'workshop')]);
    expect(out.resourceSpans[1].resource.attributes).toEqual([str('mode', 'workshop')]);
    // Spans untouched.
    expect(out.resourceSpans[0].scopeSpans).toEqual((protoToJson(REQUEST_DEF.traces, jsonToProto(REQUEST_DEF.traces, traces)) as any).resourceSpans[0].scopeSpans);
  });

  it('deletes and inserts on a metrics resource, taking from_context from the client', async () => {
    const out = await run(resourceProcessorFactory, { attributes: [{ key: 'service.name', action: 'delete' }, { key: 'tenant', from_context: 'metadata.x-tenant', action: 'insert' }] }, 'metrics', metrics, {
      metadata: new Map([['x-tenant', ['acme']]]),
    });
    expect(out.resourceMetrics[0].resource.attributes).toEqual([str('tenant', 'acme')]);
  });
});

describe('attributes processor on traces', () => {
  it('acts on span attributes, only on the spans include selects', async () => {
    const config = { include: { match_type: 'strict', services: ['checkout'], span_kinds: ['SPAN_KIND_SERVER'] }, actions: [{ key: 'http.url', action: 'hash' }, { key: 'env', value: 'prod', action: 'insert' }] };
    const out = await run(attributesProcessorFactory, config, 'traces', traces);
    const [server, client] = out.resourceSpans[0].scopeSpans[0].spans;
    expect(server.attributes).toEqual([{ key: 'http.url', value: { stringValue: expect.stringMatching(/^[0-9a-f]{64}$/) } }, str('env', 'prod')]);
    expect(client.attributes).toEqual([str('db.statement', 'SELECT 1')]);
    expect(out.resourceSpans[1].scopeSpans[0].spans[0].attributes ?? []).toEqual([]);
  });

  it('skips the spans exclude selects (span_names by regexp)', async () => {
    const out = await run(attributesProcessorFactory, { exclude: { match_type: 'regexp', span_names: ['^db\\.'] }, actions: [{ key: 'seen', value: true, action: 'upsert' }] }, 'traces', traces);
    const spans = out.resourceSpans.flatMap((rs: any) => rs.scopeSpans.flatMap((ss: any) => ss.spans));
    expect(spans.map((s: any) => [s.name, keys(s.attributes).includes('seen')])).toEqual([
      ['GET /cart', true],
      ['db.query', false],
      ['orphan', true],
    ]);
  });
});

describe('attributes processor on metrics', () => {
  it('acts on the attributes of every data point of every metric type', async () => {
    const out = await run(attributesProcessorFactory, { actions: [{ key: 'region', value: 'eu', action: 'insert' }, { key: 'route', action: 'delete' }] }, 'metrics', metrics);
    const ms = out.resourceMetrics[0].scopeMetrics[0].metrics;
    const points = [ms[0].sum, ms[1].histogram, ms[2].exponentialHistogram, ms[3].summary].map((d: any) => d.dataPoints[0]);
    for (const p of points) expect(p.attributes).toEqual([str('region', 'eu')]);
    expect(ms[0].sum.dataPoints[0].asInt).toBe('3');
    expect(out.resourceMetrics[0].resource.attributes).toEqual([str('service.name', 'checkout')]);
  });
});

describe('attributes processor on metrics, include by metric_names', () => {
  it('changes only the data points of the metrics whose name matches', async () => {
    const out = await run(attributesProcessorFactory, { include: { match_type: 'strict', metric_names: ['requests', 'q'] }, actions: [{ key: 'picked', value: true, action: 'insert' }] }, 'metrics', metrics);
    const ms = out.resourceMetrics[0].scopeMetrics[0].metrics;
    const picked = (d: any) => keys(d.dataPoints[0].attributes).includes('picked');
    expect([picked(ms[0].sum), picked(ms[1].histogram), picked(ms[2].exponentialHistogram), picked(ms[3].summary)]).toEqual([true, false, false, true]);
  });
});

describe('malformed attributes the receiver walk does not read', () => {
  it('are refused as a permanent PAYLOAD_INVALID error (the client gets 400), nothing handed on', async () => {
    // A span whose attributes field holds a KeyValue with a truncated value: countItems does not look inside spans.
    const span = Uint8Array.from([0x4a, 0x04, 0x12, 0x05, 0x0a, 0x01]);
    const bytes = Uint8Array.from([0x0a, span.length + 4, 0x12, span.length + 2, 0x12, span.length, ...span]);
    const request = signalRequest('traces', bytes);
    expect(request.items).toBe(1);
    const out: SignalRequest[] = [];
    const p = attributesProcessorFactory.createSignal!(
      { id: 'attributes', telemetry: new Telemetry({ processMetrics: false }), logger: silentLogger },
      attributesProcessorFactory.schema.parse({ actions: [{ key: 'a', value: 1, action: 'insert' }] }),
      { consume: async (r) => void out.push(r) },
      'traces',
    );
    await expect(p.consume(request)).rejects.toMatchObject({ code: 'PAYLOAD_INVALID' });
    expect(out).toEqual([]);
  });
});

describe('validate: match keys by pipeline signal', () => {
  const load = (processors: string, pipeline: string) =>
    validateConfig(
      readConfigFiles([
        `yaml:
receivers: { otlp: { protocols: { http: { endpoint: "127.0.0.1:0" } } } }
processors: ${processors}
exporters: { debug: {} }
service: { pipelines: ${pipeline} }`,
      ]),
      defaultRegistry,
    );
  const error = (processors: string, pipeline: string) => {
    try {
      load(processors, pipeline);
      return '';
    } catch (err) {
      return (err as Error).message;
    }
  };
  const attrs = (include: string) => `{ attributes: { include: ${include}, actions: [{ key: a, value: b, action: insert }] } }`;

  it('takes span keys in a traces pipeline and log keys in a logs pipeline', () => {
    expect(error(attrs('{ match_type: strict, services: [api], span_names: [x] }'), '{ traces: { receivers: [otlp], processors: [attributes], exporters: [debug] } }')).toBe('');
    expect(error(attrs('{ match_type: strict, log_bodies: [x] }'), '{ logs: { receivers: [otlp], processors: [attributes], exporters: [debug] } }')).toBe('');
  });

  it('refuses span keys for logs, log keys for traces, and all but metric_names/resources for metrics, naming processor and signal', () => {
    expect(error(attrs('{ match_type: strict, services: [x] }'), '{ logs: { receivers: [otlp], processors: [attributes], exporters: [debug] } }')).toContain(
      'service.pipelines.logs.processors[0]: processor "attributes" in a logs pipeline: include: services does not apply to logs; not supported',
    );
    expect(error(attrs('{ match_type: strict, log_bodies: [x] }'), '{ traces: { receivers: [otlp], processors: [attributes], exporters: [debug] } }')).toContain(
      'processor "attributes" in a traces pipeline: include: log_bodies does not apply to traces',
    );
    expect(error(attrs('{ match_type: strict, span_kinds: [SERVER] }'), '{ traces: { receivers: [otlp], processors: [attributes], exporters: [debug] } }')).toContain('span_kinds: "SERVER" is not one of SPAN_KIND_UNSPECIFIED');
    expect(error(attrs('{ match_type: strict, attributes: [{ key: a }] }'), '{ metrics: { receivers: [otlp], processors: [attributes], exporters: [debug] } }')).toContain(
      'processor "attributes" in a metrics pipeline: include: attributes does not apply to metrics; not supported',
    );
    expect(error(attrs('{ match_type: strict, metric_names: [a] }'), '{ traces: { receivers: [otlp], processors: [attributes], exporters: [debug] } }')).toContain('include: metric_names does not apply to traces');
    expect(error(attrs('{ match_type: regexp, metric_names: ["^http"], resources: [{ key: env, value: prod }] }'), '{ metrics: { receivers: [otlp], processors: [attributes], exporters: [debug] } }')).toBe('');
  });

  it('still refuses filter and transform on traces and metrics, naming processor and signal', () => {
    expect(error('{ filter: { traces: { span: [\'name == "x"\'] } } }', '{ traces: { receivers: [otlp], processors: [filter], exporters: [debug] } }')).toContain('processor "filter" is not supported for traces');
    expect(error('{ transform: { metric_statements: [] } }', '{ metrics: { receivers: [otlp], processors: [transform], exporters: [debug] } }')).toContain('processor "transform" is not supported for metrics');
  });
});
