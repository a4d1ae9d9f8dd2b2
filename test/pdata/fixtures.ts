import type { Logs } from '../../src/pdata/model.js';
import { newLogRecord } from '../../src/pdata/model.js';

/** 2^63 - 1 and -2^63: the int64 edges, far beyond what a double holds exactly. */
export const INT64_MAX = 9223372036854775807n;
export const INT64_MIN = -9223372036854775808n;
/** Largest fixed64: a timestamp codec that goes through doubles would round it. */
export const UINT64_MAX = 18446744073709551615n;

export const TRACE_ID = Uint8Array.from(Buffer.from('5b8efff798038103d269b633813fc60c', 'hex'));
export const SPAN_ID = Uint8Array.from(Buffer.from('eee19b7ec3c1b174', 'hex'));

/** A request that sets every field and every AnyValue kind at least once. */
export function richLogs(): Logs {
  return {
    resourceLogs: [
      {
        resource: {
          attributes: [
            { key: 'service.name', value: { stringValue: 'checkout' } },
            { key: 'host.cores', value: { intValue: 8n } },
          ],
          droppedAttributesCount: 3,
        },
        schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
        scopeLogs: [
          {
            scope: {
              name: 'make-otel-gateway/test',
              version: '1.2.3',
              attributes: [{ key: 'scope.flag', value: { boolValue: true } }],
              droppedAttributesCount: 1,
            },
            schemaUrl: 'https://opentelemetry.io/schemas/1.25.0',
            logRecords: [
              newLogRecord({
                timeUnixNano: 1_732_700_000_123_456_789n,
                observedTimeUnixNano: UINT64_MAX,
                severityNumber: 17,
                severityText: 'ERROR',
                body: { stringValue: 'payment failed: ünïcødé ✓ 🚀' },
                attributes: [
                  { key: 'str', value: { stringValue: '' } },
                  { key: 'bool.false', value: { boolValue: false } },
                  { key: 'int.max', value: { intValue: INT64_MAX } },
                  { key: 'int.min', value: { intValue: INT64_MIN } },
                  { key: 'int.neg', value: { intValue: -42n } },
                  { key: 'int.big', value: { intValue: 2n ** 53n + 1n } },
                  { key: 'int.zero', value: { intValue: 0n } },
                  { key: 'double', value: { doubleValue: -1.5e-300 } },
                  { key: 'double.zero', value: { doubleValue: 0 } },
                  { key: 'bytes', value: { bytesValue: Uint8Array.from([0, 1, 2, 254, 255]) } },
                  { key: 'bytes.empty', value: { bytesValue: new Uint8Array(0) } },
                  {
                    key: 'array',
                    value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: -1n }, { arrayValue: { values: [] } }, {}] } },
                  },
                  {
                    key: 'nested',
                    value: {
                      kvlistValue: {
                        values: [
                          { key: 'inner', value: { kvlistValue: { values: [{ key: 'deep', value: { doubleValue: 3.25 } }] } } },
                          { key: 'list', value: { arrayValue: { values: [{ boolValue: true }, { bytesValue: Uint8Array.from([9]) }] } } },
                          { key: 'novalue' },
                        ],
                      },
                    },
                  },
                  { key: 'empty.value', value: {} },
                ],
                droppedAttributesCount: 5,
                flags: 0x01,
                traceId: TRACE_ID,
                spanId: SPAN_ID,
                eventName: 'make.scenario.execution',
              }),
              newLogRecord({ body: { kvlistValue: { values: [{ key: 'k', value: { intValue: 1n } }] } }, flags: 0xffffffff, severityNumber: 24 }),
              newLogRecord(),
            ],
          },
          { logRecords: [], schemaUrl: '' },
        ],
      },
      { scopeLogs: [], schemaUrl: '' },
    ],
  };
}
