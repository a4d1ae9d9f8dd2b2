import { status } from '@grpc/grpc-js';
import type { ClientHttp2Session } from 'node:http2';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { newLogRecord, type Logs } from '../../../src/pdata/model.js';
import { encodeLogs } from '../../../src/pdata/proto.js';
import { memoryAdmission, PROTO_EXPANSION, type Reservation } from '../../../src/processors/memory_limiter/admission.js';
import { parseRetryInfo } from '../../../src/transport/grpc/grpc-js-metadata.js';
import { counterValue, grpcExportRaw, startReceiver, type Running } from './harness.js';
import { EXPORT_PATH, framed, openSession, rawCall } from './grpc-wire.js';

/**
 * Memory admission on OTLP/gRPC: a call's memory is reserved from its length prefix before the
 * message is read, refused with RESOURCE_EXHAUSTED + RetryInfo when it would pass a
 * memory_limiter's soft limit (here a gate attached to the process-wide admission, as a
 * memory_limiter attaches itself), and given back once the export is answered.
 */

const logs = (n: number, size = 100): Logs => ({
  resourceLogs: [{ schemaUrl: '', scopeLogs: [{ schemaUrl: '', logRecords: Array.from({ length: n }, (_, i) => newLogRecord({ body: { stringValue: `${i}`.padEnd(size, 'x') } })) }] }],
});

let run: Running | undefined;
let session: ClientHttp2Session | undefined;
let headroom = 0;
let detach: (() => void) | undefined;
const held: Reservation[] = [];
afterEach(async () => {
  for (const r of held.splice(0)) r.release();
  detach?.();
  detach = undefined;
  session?.destroy();
  session = undefined;
  await run?.receiver.shutdown();
  run = undefined;
});

async function start(headroomBytes: number): Promise<Running> {
  headroom = headroomBytes;
  detach = memoryAdmission.attach({ headroomBytes: () => headroom });
  run = await startReceiver({ grpc: { endpoint: '127.0.0.1:0' } });
  return run;
}

const refusedRequests = (r: Running) => counterValue(r.telemetry.receiverRequestsRefused, { receiver: 'otlp', transport: 'grpc', status: 'RESOURCE_EXHAUSTED' });

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 25));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

describe('OTLP/gRPC receiver: memory admission before the message is read', () => {
  it('refuses with RESOURCE_EXHAUSTED and RetryInfo when no memory is left, hands nothing downstream, counts it', async () => {
    const r = await start(0);
    const { error } = await grpcExportRaw(r.grpcAddress, encodeLogs(logs(10)));
    expect(error?.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(error?.details).toMatch(/memory_limiter/);
    expect(parseRetryInfo(error!.metadata)).toBe(1000);
    expect(r.next.calls).toBe(0);
    expect(await refusedRequests(r)).toBe(1);
    expect(memoryAdmission.reserved).toBe(0);
    // Memory back: the same request is accepted.
    headroom = 1024 * 1024 * 1024;
    expect((await grpcExportRaw(r.grpcAddress, encodeLogs(logs(10)))).error).toBeUndefined();
    expect(r.next.received).toEqual([logs(10)]);
  });

  it('answers from the length prefix alone: a client that announced too much is refused before sending the message', async () => {
    const r = await start(0);
    session = await openSession(r.grpcAddress);
    const prefix = Buffer.alloc(5);
    prefix.writeUInt32BE(3 * 1024 * 1024, 1);
    // Only the prefix is sent and the stream kept open: the answer cannot have waited for the message.
    const answer = await rawCall(session, { chunks: [prefix], keepOpen: true });
    expect(answer.grpcStatus).toBe(status.RESOURCE_EXHAUSTED);
    expect(answer.headers['grpc-status-details-bin']).toBeDefined();
    expect(r.next.calls).toBe(0);
    expect(memoryAdmission.reserved).toBe(0);
  });

  it('holds the reservation while the export is consumed, refuses what does not fit beside it, releases it after the answer', async () => {
    const body = encodeLogs(logs(200));
    const cost = body.byteLength * PROTO_EXPANSION;
    const r = await start(Math.floor(cost * 1.5));
    let open!: () => void;
    r.next.gate = new Promise<void>((resolve) => (open = resolve));
    const first = grpcExportRaw(r.grpcAddress, body);
    await waitFor(() => r.next.calls === 1, 'the first export to reach downstream');
    expect(memoryAdmission.reserved).toBe(cost);
    // A second call of the same size would pass the limit beside the first: refused, not read.
    const second = await grpcExportRaw(r.grpcAddress, body);
    expect(second.error?.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(parseRetryInfo(second.error!.metadata)).toBe(1000);
    expect(r.next.calls).toBe(1);
    open();
    expect((await first).error).toBeUndefined();
    await waitFor(() => memoryAdmission.reserved === 0, 'the reservation to be released');
    // Released: the next call fits again.
    expect((await grpcExportRaw(r.grpcAddress, body)).error).toBeUndefined();
    expect(r.next.received).toHaveLength(2);
    expect(memoryAdmission.reserved).toBe(0);
  });

  it('corrects a compressed message to its inflated size and refuses it when that no longer fits', async () => {
    const body = encodeLogs(logs(2000, 500));
    const compressed = gzipSync(body);
    expect(compressed.byteLength * 8).toBeLessThan(body.byteLength);
    // Room for the compressed guess, not for the inflated message beside another request in flight.
    const r = await start(body.byteLength);
    held.push(memoryAdmission.tryReserve(1000)!);
    expect(memoryAdmission.reserved).toBe(1000);
    session = await openSession(r.grpcAddress);
    const answer = await rawCall(session, { headers: { 'grpc-encoding': 'gzip' }, chunks: [framed(compressed, true)] });
    expect(answer.grpcStatus).toBe(status.RESOURCE_EXHAUSTED);
    expect(r.next.calls).toBe(0);
    expect(memoryAdmission.reserved).toBe(1000);
  });

  it('gives the reservation back when the client cancels before sending the message', async () => {
    const r = await start(1024 * 1024 * 1024);
    session = await openSession(r.grpcAddress);
    const req = session.request({ ':method': 'POST', ':path': EXPORT_PATH, 'content-type': 'application/grpc', te: 'trailers' });
    req.on('error', () => undefined);
    const prefix = Buffer.alloc(5);
    prefix.writeUInt32BE(100_000, 1);
    req.write(prefix);
    await waitFor(() => memoryAdmission.reserved === 100_000 * PROTO_EXPANSION, 'the prefix to be reserved');
    req.close();
    await waitFor(() => memoryAdmission.reserved === 0, 'the cancelled call to release its reservation');
    expect(r.next.calls).toBe(0);
  });
});
