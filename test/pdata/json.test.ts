import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/errors.js';
import { exportResponseFromJson, exportResponseToJson, logsFromJson, logsToJson } from '../../src/pdata/json.js';
import { newLogRecord, type Logs } from '../../src/pdata/model.js';
import { INT64_MAX, INT64_MIN, richLogs, SPAN_ID, TRACE_ID, UINT64_MAX } from './fixtures.js';

function expectInvalid(text: string, mentions?: string): void {
  let caught: unknown;
  try {
    logsFromJson(text);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(PermanentError);
  expect((caught as PermanentError).code).toBe('PAYLOAD_INVALID');
  if (mentions) expect((caught as Error).message).toContain(mentions);
}

const wrap = (record: unknown) => JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [record] }] }] });
const firstRecord = (logs: Logs) => logs.resourceLogs[0].scopeLogs[0].logRecords[0];

describe('OTLP/JSON logs codec', () => {
  it('round-trips every field and every AnyValue kind exactly', () => {
    const logs = richLogs();
    expect(logsFromJson(logsToJson(logs))).toEqual(logs);
  });

  it('writes lowerCamelCase keys, hex ids, decimal-string 64-bit ints, base64 bytes and integer enums', () => {
    const json = JSON.parse(logsToJson(richLogs()));
    const lr = json.resourceLogs[0].scopeLogs[0].logRecords[0];
    expect(lr.timeUnixNano).toBe('1732700000123456789');
    expect(lr.observedTimeUnixNano).toBe(UINT64_MAX.toString());
    expect(lr.traceId).toBe('5b8efff798038103d269b633813fc60c');
    expect(lr.spanId).toBe('eee19b7ec3c1b174');
    expect(lr.severityNumber).toBe(17);
    expect(lr.eventName).toBe('make.scenario.execution');
    expect(lr.droppedAttributesCount).toBe(5);
    const attr = (k: string) => lr.attributes.find((a: { key: string }) => a.key === k).value;
    expect(attr('int.max')).toEqual({ intValue: INT64_MAX.toString() });
    expect(attr('int.min')).toEqual({ intValue: INT64_MIN.toString() });
    expect(attr('bytes')).toEqual({ bytesValue: 'AAEC/v8=' });
    expect(attr('str')).toEqual({ stringValue: '' });
    expect(json.resourceLogs[0].schemaUrl).toBe('https://opentelemetry.io/schemas/1.26.0');
  });

  it('omits fields that hold their default value', () => {
    const json = JSON.parse(logsToJson({ resourceLogs: [{ scopeLogs: [{ logRecords: [newLogRecord()], schemaUrl: '' }], schemaUrl: '' }] }));
    expect(json).toEqual({ resourceLogs: [{ scopeLogs: [{ logRecords: [{}] }] }] });
  });

  it('accepts the original snake_case field names', () => {
    const logs = logsFromJson(
      JSON.stringify({
        resource_logs: [
          {
            resource: { attributes: [{ key: 'a', value: { string_value: 'x' } }], dropped_attributes_count: 2 },
            schema_url: 's',
            scope_logs: [
              {
                scope: { name: 'n', dropped_attributes_count: 1 },
                log_records: [
                  {
                    time_unix_nano: '5',
                    observed_time_unix_nano: 6,
                    severity_number: 9,
                    severity_text: 'INFO',
                    trace_id: '5b8efff798038103d269b633813fc60c',
                    span_id: 'eee19b7ec3c1b174',
                    event_name: 'ev',
                    dropped_attributes_count: 3,
                    attributes: [{ key: 'b', value: { int_value: 7, bytes_value: null } }, { key: 'c', value: { kvlist_value: { values: [] } } }],
                    body: { array_value: { values: [{ bool_value: true }, { double_value: 1.5 }, { bytes_value: 'AQ==' }] } },
                  },
                ],
              },
            ],
          },
        ],
      }),
    );
    expect(logs.resourceLogs[0].resource).toEqual({ attributes: [{ key: 'a', value: { stringValue: 'x' } }], droppedAttributesCount: 2 });
    expect(logs.resourceLogs[0].schemaUrl).toBe('s');
    expect(logs.resourceLogs[0].scopeLogs[0].scope).toEqual({ name: 'n', version: '', attributes: [], droppedAttributesCount: 1 });
    expect(firstRecord(logs)).toEqual(
      newLogRecord({
        timeUnixNano: 5n,
        observedTimeUnixNano: 6n,
        severityNumber: 9,
        severityText: 'INFO',
        traceId: TRACE_ID,
        spanId: SPAN_ID,
        eventName: 'ev',
        droppedAttributesCount: 3,
        attributes: [
          { key: 'b', value: { intValue: 7n } },
          { key: 'c', value: { kvlistValue: { values: [] } } },
        ],
        body: { arrayValue: { values: [{ boolValue: true }, { doubleValue: 1.5 }, { bytesValue: Uint8Array.from([1]) }] } },
      }),
    );
  });

  it('accepts 64-bit ints as strings or numbers and severityNumber as an integer or an enum name', () => {
    const lr = firstRecord(logsFromJson(wrap({ timeUnixNano: 1700000000000, severityNumber: 'SEVERITY_NUMBER_WARN2', body: { intValue: '-9223372036854775808' } })));
    expect(lr.timeUnixNano).toBe(1_700_000_000_000n);
    expect(lr.severityNumber).toBe(14);
    expect(lr.body).toEqual({ intValue: INT64_MIN });
    expect(firstRecord(logsFromJson(wrap({ severityNumber: 'SEVERITY_NUMBER_FATAL4' }))).severityNumber).toBe(24);
  });

  it('ignores unknown fields at every level', () => {
    const logs = logsFromJson(
      JSON.stringify({ future: 1, resourceLogs: [{ x: [], scopeLogs: [{ y: {}, logRecords: [{ z: 'q', severityText: 'INFO', body: { stringValue: 's', w: 1 } }] }] }] }),
    );
    expect(firstRecord(logs)).toEqual(newLogRecord({ severityText: 'INFO', body: { stringValue: 's' } }));
  });

  it('writes and reads non-finite doubles as the protobuf JSON strings', () => {
    const logs: Logs = { resourceLogs: [{ scopeLogs: [{ logRecords: [newLogRecord({ body: { arrayValue: { values: [{ doubleValue: NaN }, { doubleValue: Infinity }, { doubleValue: -Infinity }] } } })], schemaUrl: '' }], schemaUrl: '' }] };
    expect(logsToJson(logs)).toContain('"doubleValue":"NaN"');
    expect(logsFromJson(logsToJson(logs))).toEqual(logs);
  });

  it('refuses malformed JSON and wrong types with PAYLOAD_INVALID naming the path', () => {
    expectInvalid('{"resourceLogs": [');
    expectInvalid('[]');
    expectInvalid('{"resourceLogs": {}}', 'resourceLogs');
    expectInvalid(wrap({ timeUnixNano: 'yesterday' }), 'resourceLogs[0].scopeLogs[0].logRecords[0].timeUnixNano');
    expectInvalid(wrap({ timeUnixNano: '-1' }), 'timeUnixNano');
    expectInvalid(wrap({ timeUnixNano: 1.5 }), 'timeUnixNano');
    expectInvalid(wrap({ traceId: 'W47/95gDgQPSabYzgT/GDA==' }), 'traceId');
    expectInvalid(wrap({ traceId: 'abc' }), 'traceId');
    expectInvalid(wrap({ severityNumber: 'LOUD' }), 'severityNumber');
    expectInvalid(wrap({ severityText: 5 }), 'severityText');
    expectInvalid(wrap({ body: { intValue: '9223372036854775808' } }), 'intValue');
    expectInvalid(wrap({ body: { boolValue: 'true' } }), 'boolValue');
    expectInvalid(wrap({ body: { bytesValue: 'not base64!' } }), 'bytesValue');
    expectInvalid(wrap({ body: 'plain string' }), 'body');
    expectInvalid(wrap({ attributes: [{ key: 1 }] }), 'attributes[0].key');
    expectInvalid(wrap({ flags: 2 ** 32 }), 'flags');
  });

  it('refuses AnyValue nesting deep enough to exhaust the stack', () => {
    let body: unknown = { boolValue: true };
    for (let i = 0; i < 200; i++) body = { arrayValue: { values: [body] } };
    expectInvalid(wrap({ body }));
  });

  it('treats null as an unset field, as protobuf JSON does', () => {
    expect(firstRecord(logsFromJson(wrap({ body: null, attributes: null, traceId: null })))).toEqual(newLogRecord());
  });
});

describe('OTLP/JSON export response', () => {
  it('writes {} for a full success and partialSuccess otherwise', () => {
    expect(exportResponseToJson({})).toBe('{}');
    expect(JSON.parse(exportResponseToJson({ rejectedLogRecords: 2n, errorMessage: 'too big' }))).toEqual({
      partialSuccess: { rejectedLogRecords: '2', errorMessage: 'too big' },
    });
  });

  it('reads partial_success in either spelling and an empty body as full success', () => {
    expect(exportResponseFromJson('')).toEqual({ rejectedLogRecords: 0n, errorMessage: '' });
    expect(exportResponseFromJson('{}')).toEqual({ rejectedLogRecords: 0n, errorMessage: '' });
    expect(exportResponseFromJson('{"partialSuccess":{"rejectedLogRecords":3,"errorMessage":"x"}}')).toEqual({ rejectedLogRecords: 3n, errorMessage: 'x' });
    expect(exportResponseFromJson('{"partial_success":{"rejected_log_records":"4"}}')).toEqual({ rejectedLogRecords: 4n, errorMessage: '' });
  });

  it('reads the traces and metrics responses: rejectedSpans and rejectedDataPoints count the rejected items', () => {
    expect(exportResponseFromJson('{"partialSuccess":{"rejectedSpans":"2","errorMessage":"bad span"}}')).toEqual({ rejectedLogRecords: 2n, errorMessage: 'bad span' });
    expect(exportResponseFromJson('{"partial_success":{"rejected_data_points":5}}')).toEqual({ rejectedLogRecords: 5n, errorMessage: '' });
    expect(() => exportResponseFromJson('{"partialSuccess":{"rejectedSpans":"some"}}')).toThrow(/rejectedSpans/);
  });

  it('refuses a malformed response body with PAYLOAD_INVALID', () => {
    expect(() => exportResponseFromJson('{"partialSuccess":')).toThrow(PermanentError);
    expect(() => exportResponseFromJson('{"partialSuccess":{"rejectedLogRecords":"many"}}')).toThrow(/rejectedLogRecords/);
  });
});
