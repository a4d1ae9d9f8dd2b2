import { newLogRecord, type LogRecord, type Logs } from '../../../src/pdata/model.js';
import { attr } from '../../../src/pdata/values.js';
import type { ExportRequest } from '../../../src/exporters/helper/sender.js';

/** Records with a `seq` attribute and a body of about `bodyBytes`, so delivery can be checked one by one. */
export function sampleLogs(count: number, bodyBytes = 1024, resourceAttrs: Record<string, string> = { 'service.name': 'checkout', 'host.name': 'node-1' }): Logs {
  const filler = 'x'.repeat(Math.max(0, bodyBytes - 20));
  const records: LogRecord[] = [];
  for (let i = 0; i < count; i++) {
    records.push(
      newLogRecord({
        timeUnixNano: 1_764_240_000_000_000_000n + BigInt(i),
        observedTimeUnixNano: 1_764_240_001_000_000_000n,
        severityNumber: 9,
        severityText: 'INFO',
        body: { stringValue: `record ${i} ${filler}` },
        attributes: [attr('seq', i)],
      }),
    );
  }
  return {
    resourceLogs: [
      {
        resource: { attributes: Object.entries(resourceAttrs).map(([k, v]) => attr(k, v)), droppedAttributesCount: 0 },
        scopeLogs: [{ scope: { name: 'test-scope', version: '1.0', attributes: [], droppedAttributesCount: 0 }, logRecords: records, schemaUrl: '' }],
        schemaUrl: '',
      },
    ],
  };
}

export function exportRequest(logs: Logs): ExportRequest {
  let records = 0;
  for (const rl of logs.resourceLogs) for (const sl of rl.scopeLogs) records += sl.logRecords.length;
  return {
    records,
    logs: () => logs,
    bytes: () => {
      throw new Error('these senders read decoded logs');
    },
  };
}

/** A logger that keeps every line, to assert what was (not) logged. */
export function recordingLogger() {
  const lines: string[] = [];
  const logger = {
    lines,
    debug: (m: string, a?: object) => lines.push(`debug ${m} ${JSON.stringify(a ?? {})}`),
    info: (m: string, a?: object) => lines.push(`info ${m} ${JSON.stringify(a ?? {})}`),
    warn: (m: string, a?: object) => lines.push(`warn ${m} ${JSON.stringify(a ?? {})}`),
    error: (m: string, a?: object) => lines.push(`error ${m} ${JSON.stringify(a ?? {})}`),
    child: () => logger,
  };
  return logger;
}
