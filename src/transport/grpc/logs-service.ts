import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import type { Logs } from '../../pdata/model.js';
import { decodeExportResponse, decodeLogs, encodeExportResponse, encodeLogs, type ExportResponseInit } from '../../pdata/proto.js';

/**
 * The OTLP LogsService for @grpc/grpc-js, built on our codecs instead of proto-loader, so no .proto
 * parsing happens at run time and messages are our model, not protobufjs objects.
 *
 * The request serializer takes either Logs or already-encoded ExportLogsServiceRequest bytes:
 * exporters forward the queue's bytes without a decode/encode round trip.
 */

export const LOGS_SERVICE_NAME = 'opentelemetry.proto.collector.logs.v1.LogsService';
export const LOGS_EXPORT_PATH = `/${LOGS_SERVICE_NAME}/Export`;

/** What a client may pass to Export: the model, or its protobuf encoding. */
export type ExportRequestMessage = Logs | Uint8Array;

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function serializeRequest(req: ExportRequestMessage): Buffer {
  return toBuffer(req instanceof Uint8Array ? req : encodeLogs(req));
}

const responseCodec = {
  responseSerialize: (res: ExportResponseInit) => toBuffer(encodeExportResponse(res)),
  responseDeserialize: (buf: Buffer) => decodeExportResponse(buf),
};

const exportMethod: MethodDefinition<ExportRequestMessage, ExportResponseInit> = {
  path: LOGS_EXPORT_PATH,
  requestStream: false,
  responseStream: false,
  originalName: 'export',
  requestSerialize: serializeRequest,
  // Throws PermanentError on a malformed request; grpc-js then answers INTERNAL. Servers that must
  // answer INVALID_ARGUMENT (the OTLP rule) use rawLogsServiceDefinition and decode in the handler.
  requestDeserialize: (buf: Buffer): Logs => decodeLogs(buf),
  ...responseCodec,
};

/** Client and server definition whose requests are decoded into Logs. */
export const logsServiceDefinition = { Export: exportMethod } satisfies ServiceDefinition;

const rawExportMethod: MethodDefinition<Uint8Array, ExportResponseInit> = {
  path: LOGS_EXPORT_PATH,
  requestStream: false,
  responseStream: false,
  originalName: 'export',
  requestSerialize: (bytes: Uint8Array) => toBuffer(bytes),
  requestDeserialize: (buf: Buffer): Uint8Array => buf,
  ...responseCodec,
};

/**
 * Same service, but the server handler receives the request's protobuf bytes: it can decode itself
 * (mapping PAYLOAD_INVALID to INVALID_ARGUMENT) or forward the bytes untouched.
 */
export const rawLogsServiceDefinition = { Export: rawExportMethod } satisfies ServiceDefinition;
