import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newLogRecord, type Logs } from '../../../src/pdata/model.js';
import { encodeLogs } from '../../../src/pdata/proto.js';
import { grpcExportRaw, startReceiver, type Running } from './harness.js';

/**
 * What the JS SDK cannot express (int64 beyond 2^53, exact negative extremes, large uint64
 * timestamps) sent as raw OTLP bytes and raw OTLP/JSON: every value must arrive exactly.
 */

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);
const BEYOND_2_53 = 2n ** 53n + 1n;
const TIME = 18_446_744_073_709_551_615n; // uint64 max: the largest timestamp OTLP can carry

function extremeLogs(): Logs {
  return {
    resourceLogs: [
      {
        schemaUrl: '',
        resource: { attributes: [{ key: 'big', value: { intValue: BEYOND_2_53 } }], droppedAttributesCount: 3 },
        scopeLogs: [
          {
            schemaUrl: '',
            scope: { name: 's', version: '', attributes: [], droppedAttributesCount: 1 },
            logRecords: [
              newLogRecord({
                timeUnixNano: TIME,
                observedTimeUnixNano: 1n,
                severityNumber: 24,
                body: {
                  arrayValue: {
                    values: [{ intValue: INT64_MAX }, { intValue: INT64_MIN }, { intValue: -BEYOND_2_53 }, { bytesValue: new Uint8Array([0, 255, 128, 7]) }, { bytesValue: new Uint8Array(0) }],
                  },
                },
                attributes: [{ key: 'raw', value: { bytesValue: new Uint8Array(256).map((_, i) => i) } }],
                droppedAttributesCount: 4_000_000_000,
                flags: 0xffffffff,
                traceId: new Uint8Array(16).fill(0xab),
                spanId: new Uint8Array(8).fill(0xcd),
                eventName: 'e',
              }),
            ],
          },
        ],
      },
    ],
  };
}

const EXTREME_JSON = JSON.stringify({
  resourceLogs: [
    {
      resource: { attributes: [{ key: 'big', value: { intValue: BEYOND_2_53.toString() } }], droppedAttributesCount: 3 },
      scopeLogs: [
        {
          scope: { name: 's', droppedAttributesCount: 1 },
          logRecords: [
            {
              timeUnixNano: TIME.toString(),
              observedTimeUnixNano: '1',
              severityNumber: 24,
              body: {
                arrayValue: {
                  values: [
                    { intValue: INT64_MAX.toString() },
                    { intValue: INT64_MIN.toString() },
                    { intValue: (-BEYOND_2_53).toString() },
                    { bytesValue: Buffer.from([0, 255, 128, 7]).toString('base64') },
                    { bytesValue: '' },
                  ],
                },
              },
              attributes: [{ key: 'raw', value: { bytesValue: Buffer.from(new Uint8Array(256).map((_, i) => i)).toString('base64') } }],
              droppedAttributesCount: 4_000_000_000,
              flags: 0xffffffff,
              traceId: 'ab'.repeat(16),
              spanId: 'cd'.repeat(8),
              eventName: 'e',
            },
          ],
        },
      ],
    },
  ],
});

let run: Running;
beforeAll(async () => {
  run = await startReceiver();
});
afterAll(async () => {
  await run.receiver.shutdown();
});

describe('otlp receiver: values the SDK cannot produce arrive exactly', () => {
  it('over OTLP/HTTP protobuf', async () => {
    run.next.received.length = 0;
    const res = await fetch(`${run.httpUrl}/v1/logs`, { method: 'POST', body: encodeLogs(extremeLogs()), headers: { 'content-type': 'application/x-protobuf' } });
    expect(res.status).toBe(200);
    expect(run.next.received).toEqual([extremeLogs()]);
  });

  it('over OTLP/HTTP JSON with int64 as strings', async () => {
    run.next.received.length = 0;
    const res = await fetch(`${run.httpUrl}/v1/logs`, { method: 'POST', body: EXTREME_JSON, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(200);
    expect(run.next.received).toEqual([extremeLogs()]);
  });

  it('over OTLP/gRPC', async () => {
    run.next.received.length = 0;
    const { error } = await grpcExportRaw(run.grpcAddress, encodeLogs(extremeLogs()));
    expect(error).toBeUndefined();
    expect(run.next.received).toEqual([extremeLogs()]);
  });
});
