import { status, type Metadata } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { PermanentError, RetryableError } from '../../../src/errors.js';
import { newLogRecord, type Logs } from '../../../src/pdata/model.js';
import { decodeExportResponse, encodeLogs } from '../../../src/pdata/proto.js';
import { parseRetryInfo } from '../../../src/transport/grpc/grpc-js-metadata.js';
import { decodeStatus, STATUS_DETAILS_KEY } from '../../../src/transport/rpc-status.js';
import { counterValue, grpcExportRaw, startReceiver, type Running } from './harness.js';

/** grpc-js channel option: compress every request with gzip (grpc-encoding: gzip). */
const GZIP_CHANNEL = { 'grpc.default_compression_algorithm': 2 };

function sampleLogs(n = 1, bodyBytes = 10): Logs {
  const logRecords = Array.from({ length: n }, (_, i) => newLogRecord({ severityNumber: 9, body: { stringValue: `${i}`.padEnd(bodyBytes, '.') } }));
  return { resourceLogs: [{ schemaUrl: '', scopeLogs: [{ schemaUrl: '', logRecords }] }] };
}

function embeddedStatus(metadata: Metadata) {
  const [bytes] = metadata.get(STATUS_DETAILS_KEY);
  return decodeStatus(new Uint8Array(bytes as Buffer));
}

let run: Running | undefined;
afterEach(async () => {
  await run?.receiver.shutdown();
  run = undefined;
});

const grpcOnly = (extra: Record<string, unknown> = {}) => ({ grpc: { endpoint: '127.0.0.1:0', ...extra } });

describe('otlp receiver over gRPC', () => {
  it('accepts an Export and answers OK with an empty response', async () => {
    run = await startReceiver(grpcOnly());
    const { error, response } = await grpcExportRaw(run.grpcAddress, encodeLogs(sampleLogs(3)));
    expect(error).toBeUndefined();
    expect(decodeExportResponse(response!)).toEqual({ rejectedLogRecords: 0n, errorMessage: '' });
    expect(run.next.received).toEqual([sampleLogs(3)]);
    expect(await counterValue(run.telemetry.receiverAccepted, { receiver: 'otlp', transport: 'grpc' })).toBe(3);
  });

  it('accepts a gzip-compressed Export', async () => {
    run = await startReceiver(grpcOnly());
    const { error } = await grpcExportRaw(run.grpcAddress, encodeLogs(sampleLogs(20, 500)), { channelOptions: GZIP_CHANNEL });
    expect(error).toBeUndefined();
    expect(run.next.received).toEqual([sampleLogs(20, 500)]);
  });

  it('answers an empty request OK without calling the next consumer', async () => {
    run = await startReceiver(grpcOnly());
    const { error } = await grpcExportRaw(run.grpcAddress, new Uint8Array(0));
    expect(error).toBeUndefined();
    expect(run.next.calls).toBe(0);
  });

  it('reports records with impossible ids in partial_success and forwards the rest', async () => {
    run = await startReceiver(grpcOnly());
    const logs = sampleLogs(2);
    logs.resourceLogs[0].scopeLogs[0].logRecords.push(newLogRecord({ traceId: new Uint8Array(8) }));
    const { error, response } = await grpcExportRaw(run.grpcAddress, encodeLogs(logs));
    expect(error).toBeUndefined();
    expect(decodeExportResponse(response!)).toMatchObject({ rejectedLogRecords: 1n, errorMessage: expect.stringMatching(/trace_id must be 0 or 16 bytes, got 8/) });
    expect(run.next.received).toEqual([sampleLogs(2)]);
    expect(await counterValue(run.telemetry.receiverRefused, { receiver: 'otlp', transport: 'grpc' })).toBe(1);
  });

  it('answers INVALID_ARGUMENT to a malformed message, then keeps serving', async () => {
    run = await startReceiver(grpcOnly());
    const bad = await grpcExportRaw(run.grpcAddress, new Uint8Array([0x0a, 0xff, 0xff, 0xff]));
    expect(bad.error?.code).toBe(status.INVALID_ARGUMENT);
    expect(bad.error?.details).toMatch(/protobuf/);
    expect(await counterValue(run.telemetry.receiverRequestsRefused, { receiver: 'otlp', transport: 'grpc', status: 'INVALID_ARGUMENT' })).toBe(1);
    expect((await grpcExportRaw(run.grpcAddress, encodeLogs(sampleLogs()))).error).toBeUndefined();
  });

  it('answers RESOURCE_EXHAUSTED to a message over max_recv_msg_size_mib (also after gzip), then keeps serving', async () => {
    run = await startReceiver(grpcOnly({ max_recv_msg_size_mib: 0.01 }));
    const big = encodeLogs(sampleLogs(50, 500)); // ~26 KB against a ~10 KB limit
    const plain = await grpcExportRaw(run.grpcAddress, big);
    expect(plain.error?.code).toBe(status.RESOURCE_EXHAUSTED);
    const gzipped = await grpcExportRaw(run.grpcAddress, big, { channelOptions: GZIP_CHANNEL });
    expect(gzipped.error?.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(run.next.calls).toBe(0);
    expect((await grpcExportRaw(run.grpcAddress, encodeLogs(sampleLogs()))).error).toBeUndefined();
  });

  it('answers UNAVAILABLE with RetryInfo when downstream is unavailable', async () => {
    run = await startReceiver(grpcOnly());
    run.next.failWith = new RetryableError('exporter queue unavailable', 2500);
    const { error } = await grpcExportRaw(run.grpcAddress, encodeLogs(sampleLogs(2)));
    expect(error?.code).toBe(status.UNAVAILABLE);
    expect(error?.details).toBe('exporter queue unavailable');
    expect(parseRetryInfo(error!.metadata)).toBe(2500);
    // The google.rpc.Status clients read from grpc-status-details-bin tells the same story as the call.
    expect(embeddedStatus(error!.metadata)).toMatchObject({ code: status.UNAVAILABLE, message: 'exporter queue unavailable' });
    expect(await counterValue(run.telemetry.receiverRefused, { receiver: 'otlp', transport: 'grpc' })).toBe(2);
    expect(await counterValue(run.telemetry.receiverRequestsRefused, { receiver: 'otlp', transport: 'grpc', status: 'UNAVAILABLE' })).toBe(1);
  });

  it('answers RESOURCE_EXHAUSTED with RetryInfo when downstream is throttled', async () => {
    run = await startReceiver(grpcOnly());
    run.next.failWith = new RetryableError('memory limit reached', undefined, 'MEMORY_LIMIT');
    const { error } = await grpcExportRaw(run.grpcAddress, encodeLogs(sampleLogs()));
    expect(error?.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(parseRetryInfo(error!.metadata)).toBe(1000);
    expect(embeddedStatus(error!.metadata)).toMatchObject({ code: status.RESOURCE_EXHAUSTED, message: 'memory limit reached' });
  });

  it('answers INVALID_ARGUMENT without RetryInfo when downstream refuses permanently', async () => {
    run = await startReceiver(grpcOnly());
    run.next.failWith = new PermanentError('no exporter accepts this');
    const { error } = await grpcExportRaw(run.grpcAddress, encodeLogs(sampleLogs()));
    expect(error?.code).toBe(status.INVALID_ARGUMENT);
    expect(parseRetryInfo(error!.metadata)).toBeUndefined();
  });

  it('answers UNAVAILABLE (not a crash) when downstream fails unexpectedly, then keeps serving', async () => {
    run = await startReceiver(grpcOnly());
    run.next.failWith = new Error('disk on fire');
    const { error } = await grpcExportRaw(run.grpcAddress, encodeLogs(sampleLogs()));
    expect(error?.code).toBe(status.UNAVAILABLE);
    expect(error?.details).not.toMatch(/fire/);
    run.next.failWith = undefined;
    expect((await grpcExportRaw(run.grpcAddress, encodeLogs(sampleLogs()))).error).toBeUndefined();
  });
});
