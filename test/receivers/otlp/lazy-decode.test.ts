import { afterEach, describe, expect, it } from 'vitest';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { LazyLogs } from '../../../src/pdata/lazy-logs.js';
import { countLogRecords, newLogRecord, type Logs } from '../../../src/pdata/model.js';
import { decodeExportResponse, decodeLogs, encodeLogs } from '../../../src/pdata/proto.js';
import { wireBytesOf } from '../../../src/pdata/wire-bytes.js';
import { counterValue, grpcExportRaw, startReceiver, statusOf, stopAll, type Running } from './harness.js';

/**
 * The receiver hands protobuf requests on without decoding them (a wire walk counts records and
 * checks ids); these tests pin that every guarantee of the decoding path still holds.
 */

const PROTO = { 'content-type': 'application/x-protobuf' };

function request(ids: [number, number][]): Logs {
  return {
    resourceLogs: [
      {
        schemaUrl: '',
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }], droppedAttributesCount: 0 },
        scopeLogs: [
          {
            schemaUrl: '',
            logRecords: ids.map(([t, s], i) =>
              newLogRecord({ body: { kvlistValue: { values: [{ key: 'n', value: { intValue: BigInt(i) } }] } }, traceId: new Uint8Array(t).fill(1), spanId: new Uint8Array(s).fill(2) }),
            ),
          },
        ],
      },
    ],
  };
}

/** A body whose framing is broken deep inside a record's body (a kvlist value overruns its key-value). */
function brokenDeepInsideARecord(): Uint8Array {
  const bytes = encodeLogs(request([[16, 8]]));
  // The int value's tag (field 3, varint) inside body.kvlist.values[0].value: turn it into a
  // length-delimited field (field 3, LEN) whose length byte then runs past its enclosing message.
  const at = bytes.lastIndexOf(0x18);
  const broken = Uint8Array.from(bytes);
  broken[at] = 0x1a;
  broken[at + 1] = 0x7f;
  expect(() => decodeLogs(broken)).toThrow();
  return broken;
}

let running: Running | undefined;
afterEach(async () => {
  await stopAll([running?.receiver]);
  running = undefined;
});

describe('OTLP receiver without decoding', () => {
  it('hands an OTLP/HTTP protobuf request on undecoded, counted, with its exact bytes', async () => {
    running = await startReceiver();
    const body = encodeLogs(request([[16, 8], [0, 0], [16, 0]]));
    const res = await fetch(`${running.httpUrl}/v1/logs`, { method: 'POST', headers: PROTO, body });
    expect(res.status).toBe(200);
    const got = running.next.received[0] as LazyLogs;
    expect(got).toBeInstanceOf(LazyLogs);
    expect(countLogRecords(got)).toBe(3);
    expect(got.pristine).toBe(true);
    expect(Buffer.from(wireBytesOf(got)!)).toEqual(Buffer.from(body));
    expect(await counterValue(running.telemetry.receiverAccepted, { receiver: 'otlp', transport: 'http' })).toBe(3);
    // Whoever reads it gets the same records as a decode would give.
    expect(got.resourceLogs).toEqual(decodeLogs(body).resourceLogs);
  });

  it('answers 400 to a protobuf body that is malformed deep inside a record', async () => {
    running = await startReceiver();
    const res = await fetch(`${running.httpUrl}/v1/logs`, { method: 'POST', headers: PROTO, body: brokenDeepInsideARecord() });
    expect(res.status).toBe(400);
    expect((await statusOf(res)).message).toMatch(/invalid protobuf/);
    expect(running.next.calls).toBe(0);
  });

  it('still rejects records with impossible id lengths through partial_success', async () => {
    running = await startReceiver();
    const body = encodeLogs(request([[16, 8], [15, 8], [16, 3]]));
    const res = await fetch(`${running.httpUrl}/v1/logs`, { method: 'POST', headers: PROTO, body });
    expect(res.status).toBe(200);
    const answer = decodeExportResponse(new Uint8Array(await res.arrayBuffer()));
    expect(answer.rejectedLogRecords).toBe(2n);
    expect(answer.errorMessage).toMatch(/trace_id must be 0 or 16 bytes, got 15/);
    expect(countLogRecords(running.next.received[0])).toBe(1);
    // The forwarded request changed: its bytes must not be the client's.
    expect(wireBytesOf(running.next.received[0])).toBeUndefined();
  });

  it('does the same over gRPC: undecoded hand-on, INVALID_ARGUMENT for a malformed body, partial_success for bad ids', async () => {
    running = await startReceiver();
    const ok = await grpcExportRaw(running.grpcAddress, encodeLogs(request([[16, 8], [0, 0]])));
    expect(ok.error).toBeUndefined();
    expect(running.next.received[0]).toBeInstanceOf(LazyLogs);
    expect(countLogRecords(running.next.received[0])).toBe(2);

    const broken = await grpcExportRaw(running.grpcAddress, brokenDeepInsideARecord());
    expect(broken.error?.code).toBe(GrpcStatus.INVALID_ARGUMENT);

    const partial = await grpcExportRaw(running.grpcAddress, encodeLogs(request([[16, 8], [2, 8]])));
    expect(partial.error).toBeUndefined();
    expect(decodeExportResponse(partial.response!).rejectedLogRecords).toBe(1n);
    expect(countLogRecords(running.next.received[1])).toBe(1);
  });
});
