import { context, trace, TraceFlags } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { JsonLogsSerializer, ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { logsFromJson } from '../../src/pdata/json.js';
import { decodeExportResponse, decodeLogs, encodeLogs } from '../../src/pdata/proto.js';
import { INT64_MIN, richLogs, SPAN_ID, TRACE_ID } from './fixtures.js';
import { randomLogs, withoutUndefined } from './random-logs.js';

/**
 * Our hand-written codec against two independent implementations: protobufjs reflection over our
 * own proto/ files (checks the .proto files and the codec agree) and the official OpenTelemetry JS
 * serializer (checks both agree with what real SDKs send).
 */

const PROTO_ROOT = fileURLToPath(new URL('../../proto/', import.meta.url));
let root: protobuf.Root;

beforeAll(async () => {
  root = new protobuf.Root();
  root.resolvePath = (_origin, target) => PROTO_ROOT + target;
  await root.load(['opentelemetry/proto/collector/logs/v1/logs_service.proto', 'google/rpc/status.proto', 'google/rpc/retry_info.proto'], { keepCase: true });
});

function sdkRecords() {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'interop', 'host.cores': 4 }),
    processors: [new SimpleLogRecordProcessor({ exporter })],
  });
  const logger = provider.getLogger('interop-scope', '9.9.9');
  const ctx = trace.setSpanContext(context.active(), {
    traceId: Buffer.from(TRACE_ID).toString('hex'),
    spanId: Buffer.from(SPAN_ID).toString('hex'),
    traceFlags: TraceFlags.SAMPLED,
  });
  logger.emit({
    timestamp: new Date('2026-11-27T10:00:00.123Z'),
    observedTimestamp: new Date('2026-11-27T10:00:01.000Z'),
    severityNumber: SeverityNumber.WARN,
    severityText: 'WARN',
    eventName: 'make.scenario.execution',
    body: { nested: { list: [1, 'two', true] } },
    attributes: { str: 'v', int: -7, dbl: 2.5, bool: false, arr: ['a', 'b'], bytes: Uint8Array.from([1, 2, 3]) },
    context: ctx,
  });
  return exporter.getFinishedLogRecords();
}

describe('protobuf interop', () => {
  it('decodes what the official OpenTelemetry JS serializer sends', () => {
    const bytes = ProtobufLogsSerializer.serializeRequest(sdkRecords())!;
    const logs = decodeLogs(bytes);
    const rl = logs.resourceLogs[0];
    expect(rl.resource?.attributes).toEqual(
      expect.arrayContaining([
        { key: 'service.name', value: { stringValue: 'interop' } },
        { key: 'host.cores', value: { intValue: 4n } },
      ]),
    );
    const sl = rl.scopeLogs[0];
    expect(sl.scope).toMatchObject({ name: 'interop-scope', version: '9.9.9' });
    const lr = sl.logRecords[0];
    expect(lr.timeUnixNano).toBe(1_795_773_600_123_000_000n);
    expect(lr.observedTimeUnixNano).toBe(1_795_773_601_000_000_000n);
    expect(lr.severityNumber).toBe(13);
    expect(lr.severityText).toBe('WARN');
    expect(lr.eventName).toBe('make.scenario.execution');
    expect(lr.traceId).toEqual(TRACE_ID);
    expect(lr.spanId).toEqual(SPAN_ID);
    expect(lr.flags).toBe(1);
    expect(lr.body).toEqual({
      kvlistValue: {
        values: [{ key: 'nested', value: { kvlistValue: { values: [{ key: 'list', value: { arrayValue: { values: [{ intValue: 1n }, { stringValue: 'two' }, { boolValue: true }] } } }] } } }],
      },
    });
    expect(lr.attributes).toEqual([
      { key: 'str', value: { stringValue: 'v' } },
      { key: 'int', value: { intValue: -7n } },
      { key: 'dbl', value: { doubleValue: 2.5 } },
      { key: 'bool', value: { boolValue: false } },
      { key: 'arr', value: { arrayValue: { values: [{ stringValue: 'a' }, { stringValue: 'b' }] } } },
      { key: 'bytes', value: { bytesValue: Uint8Array.from([1, 2, 3]) } },
    ]);
    // And our re-encoding of it decodes to the same model.
    expect(decodeLogs(encodeLogs(logs))).toEqual(logs);
  });

  it('decodes the same model from the official serializer\'s protobuf and OTLP/JSON', () => {
    const records = sdkRecords();
    const fromProto = decodeLogs(ProtobufLogsSerializer.serializeRequest(records)!);
    const fromJson = logsFromJson(Buffer.from(JsonLogsSerializer.serializeRequest(records)!).toString('utf8'));
    expect(fromProto.resourceLogs[0].scopeLogs[0].logRecords).toHaveLength(1);
    expect(fromJson).toEqual(fromProto);
  });

  it('produces bytes that protobufjs reflection over proto/ reads with the same values', () => {
    const Req = root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest');
    const obj = Req.toObject(Req.decode(encodeLogs(richLogs())), { longs: String, bytes: String, defaults: false }) as any;
    const lr = obj.resource_logs[0].scope_logs[0].log_records[0];
    expect(lr.time_unix_nano).toBe('1732700000123456789');
    expect(lr.observed_time_unix_nano).toBe('18446744073709551615');
    expect(lr.event_name).toBe('make.scenario.execution');
    expect(lr.flags).toBe(1);
    expect(lr.dropped_attributes_count).toBe(5);
    expect(Buffer.from(lr.trace_id, 'base64')).toEqual(Buffer.from(TRACE_ID));
    const attr = (k: string) => lr.attributes.find((a: any) => a.key === k).value;
    expect(attr('int.min').int_value).toBe(INT64_MIN.toString());
    expect(attr('int.zero').int_value).toBe('0');
    expect(attr('str').string_value).toBe('');
    expect(attr('nested').kvlist_value.values[0].value.kvlist_value.values[0].value.double_value).toBe(3.25);
    expect(obj.resource_logs[0].resource.dropped_attributes_count).toBe(3);
    expect(obj.resource_logs[0].scope_logs[0].scope.dropped_attributes_count).toBe(1);
  });

  it('reads what protobufjs reflection writes, int64 edges included', () => {
    const Req = root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest');
    const msg = Req.fromObject({
      resource_logs: [
        {
          scope_logs: [
            {
              log_records: [
                {
                  time_unix_nano: '18446744073709551615',
                  severity_number: 21,
                  body: { int_value: '-9223372036854775808' },
                  attributes: [{ key: 'd', value: { double_value: -0.5 } }],
                  event_name: 'ev',
                },
              ],
            },
          ],
        },
      ],
    });
    const lr = decodeLogs(Req.encode(msg).finish()).resourceLogs[0].scopeLogs[0].logRecords[0];
    expect(lr).toMatchObject({ timeUnixNano: 18446744073709551615n, severityNumber: 21, body: { intValue: INT64_MIN }, eventName: 'ev' });
    expect(lr.attributes).toEqual([{ key: 'd', value: { doubleValue: -0.5 } }]);
  });

  it('agrees with protobufjs reflection on 50 seeded random requests (ours → theirs → ours)', () => {
    const Req = root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest');
    for (let seed = 1; seed <= 50; seed++) {
      const logs = withoutUndefined(randomLogs(seed));
      const viaReflection = Req.encode(Req.decode(encodeLogs(logs))).finish();
      expect(decodeLogs(viaReflection), `seed ${seed}`).toEqual(logs);
    }
  });

  it('reads an ExportLogsServiceResponse with partial_success written by protobufjs', () => {
    const Res = root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse');
    const bytes = Res.encode(Res.fromObject({ partial_success: { rejected_log_records: '12', error_message: 'too old' } })).finish();
    expect(decodeExportResponse(bytes)).toEqual({ rejectedLogRecords: 12n, errorMessage: 'too old' });
  });
});
