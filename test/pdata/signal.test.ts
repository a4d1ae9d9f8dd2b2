import { describe, expect, it } from 'vitest';
import { jsonToProto, protoToJson } from '../../src/pdata/schema-codec.js';
import { countItems, splitByResource, REQUEST_DEF } from '../../src/pdata/signal.js';

const metrics = {
  resourceMetrics: [
    { scopeMetrics: [{ metrics: [{ name: 'a', gauge: { dataPoints: [{ asDouble: 0 }, { asDouble: 2.5 }] } }, { name: 'b', summary: { dataPoints: [{ count: '1', sum: 3 }] } }] }] },
    { scopeMetrics: [{ metrics: [{ name: 'c', exponentialHistogram: { dataPoints: [{ scale: -2, positive: { offset: -1, bucketCounts: ['4'] } }] } }] }] },
  ],
};

describe('traces and metrics on the wire', () => {
  it('counts metric data points across every metric type without decoding', () => {
    expect(countItems('metrics', jsonToProto(REQUEST_DEF.metrics, metrics))).toBe(4);
  });

  it('keeps a zero oneof value and negative sint32 through JSON → protobuf → JSON', () => {
    const back = protoToJson(REQUEST_DEF.metrics, jsonToProto(REQUEST_DEF.metrics, metrics)) as typeof metrics;
    expect(back.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]).toMatchObject({ name: 'a', gauge: { dataPoints: [{ asDouble: 0 }, { asDouble: 2.5 }] } });
    expect(back.resourceMetrics[1]!.scopeMetrics[0]!.metrics[0]).toMatchObject({ exponentialHistogram: { dataPoints: [{ scale: -2, positive: { offset: -1, bucketCounts: ['4'] } }] } });
  });

  it('keeps the sign of a -0 double (a histogram min) through JSON → protobuf → JSON', () => {
    const hist = { resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'h', histogram: { dataPoints: [{ count: '1', sum: -0, min: -0, max: 0 }] } }] }] }] };
    const back = protoToJson(REQUEST_DEF.metrics, jsonToProto(REQUEST_DEF.metrics, hist)) as typeof hist;
    const point = back.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.histogram.dataPoints[0]!;
    expect(point).toMatchObject({ sum: '-0', min: '-0', max: 0 });
    expect(JSON.parse(JSON.stringify(point)).min).toBe('-0');
  });

  it('refuses malformed bytes and a bad trace id', () => {
    expect(() => countItems('traces', Uint8Array.from([0x0a, 0x05, 0x01]))).toThrow(/invalid protobuf/);
    expect(() => jsonToProto(REQUEST_DEF.traces, { resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'xyz' }] }] }] })).toThrow(/hex/);
  });

  it('splits a request between resources so the parts join back into it', () => {
    const bytes = jsonToProto(REQUEST_DEF.metrics, metrics);
    const parts = splitByResource(bytes, 10);
    expect(parts.length).toBe(2);
    expect(Buffer.concat(parts).equals(Buffer.from(bytes))).toBe(true);
    expect(parts.reduce((n, p) => n + countItems('metrics', p), 0)).toBe(4);
  });
});
