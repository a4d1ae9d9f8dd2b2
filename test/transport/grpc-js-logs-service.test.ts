import * as grpc from '@grpc/grpc-js';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { afterEach, describe, expect, it } from 'vitest';
import { LOGS_EXPORT_PATH, logsServiceDefinition, rawLogsServiceDefinition } from '../../src/transport/grpc/logs-service.js';
import type { Logs } from '../../src/pdata/model.js';
import type { ExportResponse, ExportResponseInit } from '../../src/pdata/proto.js';
import { encodeLogs } from '../../src/pdata/proto.js';
import { parseRetryInfo, retryInfoMetadata } from '../../src/transport/grpc/grpc-js-metadata.js';
import { decodeStatus, encodeRetryStatus, encodeStatus, STATUS_DETAILS_KEY } from '../../src/transport/rpc-status.js';
import { richLogs } from '../pdata/fixtures.js';

type Handler = (call: grpc.ServerUnaryCall<any, ExportResponseInit>, cb: grpc.sendUnaryData<ExportResponseInit>) => void;

let server: grpc.Server | undefined;
let client: grpc.Client | undefined;

afterEach(async () => {
  client?.close();
  await new Promise<void>((resolve) => (server ? server.tryShutdown(() => resolve()) : resolve()));
  server = client = undefined;
});

async function serve(definition: grpc.ServiceDefinition, handler: Handler): Promise<string> {
  server = new grpc.Server();
  server.addService(definition, { Export: handler });
  const port = await new Promise<number>((resolve, reject) =>
    server!.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return `127.0.0.1:${port}`;
}

function exportCall(address: string, req: Logs | Uint8Array): Promise<{ res?: ExportResponse; err?: grpc.ServiceError }> {
  const Ctor = grpc.makeGenericClientConstructor(logsServiceDefinition, 'LogsService');
  const c = new Ctor(address, grpc.credentials.createInsecure());
  client = c;
  return new Promise((resolve) =>
    (c as any).Export(req, (err: grpc.ServiceError | null, res: ExportResponse) => resolve(err ? { err } : { res })),
  );
}

describe('LogsService gRPC definition', () => {
  it('uses the OTLP method path', () => {
    expect(LOGS_EXPORT_PATH).toBe('/opentelemetry.proto.collector.logs.v1.LogsService/Export');
  });

  it('carries Logs from client to server and a partial success back', async () => {
    let received: Logs | undefined;
    const address = await serve(logsServiceDefinition, (call, cb) => {
      received = call.request;
      cb(null, { rejectedLogRecords: 2n, errorMessage: 'two too old' });
    });
    const { res } = await exportCall(address, richLogs());
    expect(received).toEqual(richLogs());
    expect(res).toEqual({ rejectedLogRecords: 2n, errorMessage: 'two too old' });
  });

  it('sends already-encoded request bytes untouched and can hand the server raw bytes', async () => {
    const bytes = encodeLogs(richLogs());
    let received: Uint8Array | undefined;
    const address = await serve(rawLogsServiceDefinition, (call, cb) => {
      received = call.request;
      cb(null, {});
    });
    const { res } = await exportCall(address, bytes);
    expect(Buffer.from(received!)).toEqual(Buffer.from(bytes));
    expect(res).toEqual({ rejectedLogRecords: 0n, errorMessage: '' });
  });

  it('delivers RetryInfo to the client in the error trailers', async () => {
    const address = await serve(logsServiceDefinition, (_call, cb) =>
      cb({ code: grpc.status.RESOURCE_EXHAUSTED, details: 'queue full', metadata: retryInfoMetadata(2_500, { code: grpc.status.RESOURCE_EXHAUSTED, message: 'queue full' }) }),
    );
    const { err } = await exportCall(address, richLogs());
    expect(err?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(parseRetryInfo(err?.metadata)).toBe(2_500);
  });

  it('reports no RetryInfo when the server sent none', async () => {
    const address = await serve(logsServiceDefinition, (_call, cb) => cb({ code: grpc.status.UNAVAILABLE, details: 'down' }));
    const { err } = await exportCall(address, richLogs());
    expect(err?.code).toBe(grpc.status.UNAVAILABLE);
    expect(parseRetryInfo(err?.metadata)).toBeUndefined();
  });
});

describe('google.rpc.Status and RetryInfo', () => {
  it('encodes a Status that protobufjs reflection over proto/ reads back with its RetryInfo', async () => {
    const root = new protobuf.Root();
    const protoDir = fileURLToPath(new URL('../../proto/', import.meta.url));
    root.resolvePath = (_o, target) => protoDir + target;
    await root.load(['google/rpc/status.proto', 'google/rpc/retry_info.proto'], { keepCase: true });
    const Status = root.lookupType('google.rpc.Status');
    const RetryInfo = root.lookupType('google.rpc.RetryInfo');
    const status = Status.toObject(Status.decode(encodeRetryStatus(1_250, { code: 14, message: 'busy' })), { longs: Number }) as any;
    expect(status.code).toBe(14);
    expect(status.message).toBe('busy');
    expect(status.details[0].type_url).toBe('type.googleapis.com/google.rpc.RetryInfo');
    expect(RetryInfo.toObject(RetryInfo.decode(status.details[0].value), { longs: Number })).toEqual({ retry_delay: { seconds: 1, nanos: 250_000_000 } });
  });

  it('reads a RetryInfo written by protobufjs', async () => {
    const root = new protobuf.Root();
    const protoDir = fileURLToPath(new URL('../../proto/', import.meta.url));
    root.resolvePath = (_o, target) => protoDir + target;
    await root.load(['google/rpc/status.proto', 'google/rpc/retry_info.proto'], { keepCase: true });
    const Status = root.lookupType('google.rpc.Status');
    const RetryInfo = root.lookupType('google.rpc.RetryInfo');
    const value = RetryInfo.encode(RetryInfo.fromObject({ retry_delay: { seconds: 30, nanos: 5_000_000 } })).finish();
    const bytes = Status.encode(Status.fromObject({ code: 8, details: [{ type_url: 'type.googleapis.com/google.rpc.RetryInfo', value }] })).finish();
    const md = new grpc.Metadata();
    md.set(STATUS_DETAILS_KEY, Buffer.from(bytes));
    expect(parseRetryInfo(md)).toBe(30_005);
  });

  it('round-trips a plain Status for OTLP/HTTP error bodies', () => {
    expect(decodeStatus(encodeStatus({ code: 3, message: 'bad protobuf' }))).toEqual({ code: 3, message: 'bad protobuf', details: [] });
  });

  it('ignores malformed status details instead of failing', () => {
    const md = new grpc.Metadata();
    md.set(STATUS_DETAILS_KEY, Buffer.from('1aff', 'hex'));
    expect(parseRetryInfo(md)).toBeUndefined();
    expect(parseRetryInfo(undefined)).toBeUndefined();
  });
});
