import type { ExportRequest } from '../../../src/exporters/helper/sender.js';
import { countLogRecords, newLogRecord, type Logs } from '../../../src/pdata/model.js';
import { decodeLogs, encodeLogs } from '../../../src/pdata/proto.js';
import type { CreateSettings, Host } from '../../../src/pipeline/component.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { Telemetry } from '../../../src/telemetry/telemetry.js';

/** Shared by the otlphttp and otlp (gRPC) exporter tests. */

export function logsWith(...bodies: string[]): Logs {
  return {
    resourceLogs: [
      {
        schemaUrl: '',
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }], droppedAttributesCount: 0 },
        scopeLogs: [{ schemaUrl: '', logRecords: bodies.map((b, i) => newLogRecord({ body: { stringValue: b }, timeUnixNano: 1_700_000_000_000_000_000n + BigInt(i) })) }],
      },
    ],
  };
}

/** An ExportRequest as the queue hands it over: bytes stored, decode only on demand (counted). */
export function queuedRequest(logs: Logs): ExportRequest & { decodes: number } {
  const bytes = encodeLogs(logs);
  const req = {
    records: countLogRecords(logs),
    decodes: 0,
    bytes: () => bytes,
    logs: () => {
      req.decodes++;
      return decodeLogs(bytes);
    },
  };
  return req;
}

export const neverAborts = () => new AbortController().signal;

export const bodies = (records: { body?: { stringValue?: string } }[]) => records.map((r) => r.body?.stringValue);

export function settings(id: string): CreateSettings {
  return { id, telemetry: new Telemetry({ processMetrics: false }), logger: silentLogger };
}

export const noExtensions: Host = { getExtension: () => undefined };
