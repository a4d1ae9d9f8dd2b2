import { describe, expect, it } from 'vitest';
import { debugExporterFactory, DebugSender } from '../../../src/exporters/debug/factory.js';
import type { ExportRequest } from '../../../src/exporters/helper/sender.js';
import type { Logs } from '../../../src/pdata/model.js';
import { countLogRecords, newLogRecord } from '../../../src/pdata/model.js';
import { encodeLogs } from '../../../src/pdata/proto.js';
import { attr } from '../../../src/pdata/values.js';

const logs: Logs = {
  resourceLogs: [
    {
      resource: { attributes: [attr('service.name', 'checkout')], droppedAttributesCount: 0 },
      schemaUrl: '',
      scopeLogs: [
        {
          scope: { name: 'make', version: '1.2', attributes: [], droppedAttributesCount: 0 },
          schemaUrl: '',
          logRecords: [
            newLogRecord({ timeUnixNano: 1_700_000_000_123_456_789n, severityNumber: 17, severityText: 'ERROR', body: { stringValue: 'payment failed' }, attributes: [attr('order.id', 42)], traceId: new Uint8Array(16).fill(1) }),
            newLogRecord({ severityNumber: 9, body: { stringValue: 'payment ok' } }),
          ],
        },
      ],
    },
  ],
};

const request = (l: Logs): ExportRequest => ({ records: countLogRecords(l), logs: () => l, bytes: () => encodeLogs(l) });

async function render(raw: Record<string, unknown>, times = 1, now = () => 0): Promise<string[]> {
  const writes: string[] = [];
  const sender = new DebugSender({ id: 'debug' }, debugExporterFactory.schema.parse(raw), { write: (t: string) => writes.push(t) }, now);
  for (let i = 0; i < times; i++) expect((await sender.send(request(logs), new AbortController().signal)).kind).toBe('success');
  return writes;
}

describe('debug exporter', () => {
  it('defaults to basic verbosity and the Collector sampling settings', () => {
    expect(debugExporterFactory.schema.parse({})).toMatchObject({ verbosity: 'basic', sampling_initial: 2, sampling_thereafter: 1 });
    expect(debugExporterFactory.schema.safeParse({ verbosity: 'loud' }).success).toBe(false);
    expect(debugExporterFactory.schema.safeParse({ sending_queue: { enabled: false } }).success).toBe(true);
  });

  it('basic writes one summary line with the record count', async () => {
    const [text] = await render({});
    expect(text.trim().split('\n')).toHaveLength(1);
    expect(text).toContain('"log records": 2');
    expect(text).toContain('"otelcol.component.id": "debug"');
  });

  it('normal writes one line per record with body and attributes', async () => {
    const [text] = await render({ verbosity: 'normal' });
    const lines = text.trim().split('\n');
    expect(lines.filter((l) => l.includes('payment'))).toHaveLength(2);
    expect(text).toMatch(/ERROR payment failed order\.id=42/);
    expect(text).toContain('ResourceLog #0 service.name=checkout');
  });

  it('detailed dumps resource, scope and every record field', async () => {
    const [text] = await render({ verbosity: 'detailed' });
    for (const expected of [
      '     -> service.name: Str(checkout)',
      'InstrumentationScope make 1.2',
      'Timestamp: 2023-11-14T22:13:20.123456789Z',
      'SeverityNumber: ERROR(17)',
      'Body: Str(payment failed)',
      '     -> order.id: Int(42)',
      'Trace ID: 01010101010101010101010101010101',
    ]) {
      expect(text).toContain(expected);
    }
  });

  it('samples: after sampling_initial per second, writes every sampling_thereafter-th request', async () => {
    expect(await render({ sampling_initial: 2, sampling_thereafter: 3 }, 8)).toHaveLength(4); // #1, #2, #5, #8
  });
});
