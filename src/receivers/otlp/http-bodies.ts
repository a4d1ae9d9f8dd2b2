import { exportResponseToJson } from '../../pdata/json.js';
import { encodeExportResponse } from '../../pdata/proto.js';
import { encodeStatus } from '../../transport/rpc-status.js';
import { grpcCodeForHttp } from './refusal.js';

/**
 * OTLP/HTTP answers in the encoding the client used (OTLP spec, "OTLP/HTTP Response"): a success
 * is an ExportLogsServiceResponse, a failure a google.rpc.Status whose message explains it.
 */
export type MediaKind = 'proto' | 'json';

export const CONTENT_TYPE: Record<MediaKind, string> = {
  proto: 'application/x-protobuf',
  json: 'application/json',
};

/** `application/json; charset=utf-8` → json. Media types are case-insensitive (RFC 9110). */
export function parseMediaType(header: string | undefined): MediaKind | undefined {
  const type = (header ?? '').split(';', 1)[0].trim().toLowerCase();
  if (type === CONTENT_TYPE.proto) return 'proto';
  if (type === CONTENT_TYPE.json) return 'json';
  return undefined;
}

export function exportResponseBody(kind: MediaKind, rejectedLogRecords: number, errorMessage: string): Uint8Array {
  const init = rejectedLogRecords > 0 ? { rejectedLogRecords, errorMessage } : {};
  return kind === 'proto' ? encodeExportResponse(init) : Buffer.from(exportResponseToJson(init));
}

export function statusBody(kind: MediaKind, httpStatus: number, message: string): Uint8Array {
  const status = { code: grpcCodeForHttp(httpStatus), message };
  return kind === 'proto' ? encodeStatus(status) : Buffer.from(JSON.stringify(status));
}
