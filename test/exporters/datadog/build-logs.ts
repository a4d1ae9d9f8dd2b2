import type { KeyValue, Logs, LogRecord } from '../../../src/pdata/model.js';
import { countLogRecords, newLogRecord } from '../../../src/pdata/model.js';
import { attr } from '../../../src/pdata/values.js';
import type { ExportRequest } from '../../../src/exporters/helper/sender.js';

/** Test data for the vendor adapters (Datadog and New Relic tests share it). */

export const BASE_TIME_NANOS = 1_767_225_600_000_000_000n; // 2026-01-01T00:00:00Z

/** `count` records numbered by the `seq` attribute, bodies of `bodyBytes` characters. */
export function numberedLogs(count: number, bodyBytes = 1024, resourceAttrs: KeyValue[] = [attr('service.name', 'checkout')]): Logs {
  const records: LogRecord[] = [];
  for (let i = 0; i < count; i++) {
    const prefix = `record ${i} `;
    records.push(
      newLogRecord({
        timeUnixNano: BASE_TIME_NANOS + BigInt(i) * 1_000_000n,
        severityNumber: 9,
        severityText: 'INFO',
        body: { stringValue: prefix + 'x'.repeat(Math.max(0, bodyBytes - prefix.length)) },
        attributes: [attr('seq', i)],
      }),
    );
  }
  return logsOf(records, resourceAttrs);
}

export function logsOf(records: LogRecord[], resourceAttrs: KeyValue[] = [attr('service.name', 'checkout')]): Logs {
  return {
    resourceLogs: [
      {
        resource: { attributes: resourceAttrs, droppedAttributesCount: 0 },
        schemaUrl: '',
        scopeLogs: [{ scope: { name: 'test', version: '1', attributes: [], droppedAttributesCount: 0 }, schemaUrl: '', logRecords: records }],
      },
    ],
  };
}

/** An ExportRequest as the exporter helper hands it to a sender. */
export function exportRequest(logs: Logs, encode?: (logs: Logs) => Uint8Array): ExportRequest {
  return {
    records: countLogRecords(logs),
    logs: () => logs,
    bytes: () => {
      if (!encode) throw new Error('no encoder in this test');
      return encode(logs);
    },
  };
}

/** A never-aborting signal for direct sender calls. */
export const noTimeout = (): AbortSignal => new AbortController().signal;
