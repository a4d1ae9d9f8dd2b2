import { describe, expect, it } from 'vitest';
import { newLogRecord, type Logs } from '../../../src/pdata/model.js';
import { filterAcceptable } from '../../../src/receivers/otlp/partial-success.js';

const ids = (trace: number, span: number) => newLogRecord({ traceId: new Uint8Array(trace).fill(1), spanId: new Uint8Array(span).fill(2) });
const logs = (...scopes: ReturnType<typeof ids>[][]): Logs => ({
  resourceLogs: [{ schemaUrl: '', resource: { attributes: [], droppedAttributesCount: 0 }, scopeLogs: scopes.map((logRecords) => ({ schemaUrl: '', logRecords })) }],
});

describe('filterAcceptable', () => {
  it('passes a request with valid or empty ids through untouched (same object)', () => {
    const input = logs([ids(16, 8), ids(0, 0), ids(16, 0), ids(0, 8)]);
    const out = filterAcceptable(input);
    expect(out).toEqual({ logs: input, accepted: 4, rejected: 0, errorMessage: '' });
    expect(out.logs).toBe(input);
  });

  it('removes records whose trace_id or span_id has an impossible length and says why', () => {
    const good = ids(16, 8);
    const input = logs([good, ids(15, 8), ids(16, 4)], [ids(3, 0)]);
    const out = filterAcceptable(input);
    expect(out.accepted).toBe(1);
    expect(out.rejected).toBe(3);
    expect(out.errorMessage).toMatch(/^3 log record\(s\) rejected: trace_id must be 0 or 16 bytes, got 15/);
    // The scope left empty is dropped; the one with a survivor keeps only it.
    expect(out.logs.resourceLogs[0].scopeLogs).toHaveLength(1);
    expect(out.logs.resourceLogs[0].scopeLogs[0].logRecords).toEqual([good]);
  });

  it('does not modify its input', () => {
    const input = logs([ids(16, 8), ids(1, 1)]);
    const snapshot = structuredClone(input);
    filterAcceptable(input);
    expect(input).toEqual(snapshot);
  });

  it('drops a resource whose every record was refused', () => {
    const out = filterAcceptable(logs([ids(2, 8)]));
    expect(out).toMatchObject({ accepted: 0, rejected: 1, logs: { resourceLogs: [] } });
  });
});
