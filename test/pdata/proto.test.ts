import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/errors.js';
import { newLogRecord, type Logs } from '../../src/pdata/model.js';
import { decodeExportResponse, decodeLogs, encodeExportResponse, encodeLogs } from '../../src/pdata/proto.js';
import { logsFromJson, logsToJson } from '../../src/pdata/json.js';
import { INT64_MAX, INT64_MIN, richLogs } from './fixtures.js';
import { randomLogs, withoutUndefined } from './random-logs.js';

function expectInvalid(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as PermanentError).code).toBe('PAYLOAD_INVALID');
    return;
  }
  throw new Error('expected PAYLOAD_INVALID, decode succeeded');
}

function oneRecord(fields: Parameters<typeof newLogRecord>[0]): Logs {
  return { resourceLogs: [{ scopeLogs: [{ logRecords: [newLogRecord(fields)], schemaUrl: '' }], schemaUrl: '' }] };
}

/** Deterministic bytes for fuzzing (xorshift), so a failure reproduces. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) & 0xff;
  };
}

describe('OTLP logs protobuf codec', () => {
  it('round-trips every field and every AnyValue kind exactly', () => {
    const logs = richLogs();
    expect(decodeLogs(encodeLogs(logs))).toEqual(logs);
  });

  it('keeps int64 values beyond 2^53 and negative ints exact', () => {
    for (const intValue of [INT64_MAX, INT64_MIN, -1n, 2n ** 53n + 1n, -(2n ** 53n) - 1n, 2n ** 31n, -(2n ** 31n), 127n, 128n]) {
      const body = decodeLogs(encodeLogs(oneRecord({ body: { intValue } }))).resourceLogs[0].scopeLogs[0].logRecords[0].body;
      expect(body).toEqual({ intValue });
    }
  });

  it('decodes empty bytes as a request with no resource logs', () => {
    expect(decodeLogs(new Uint8Array(0))).toEqual({ resourceLogs: [] });
    expect(encodeLogs({ resourceLogs: [] })).toHaveLength(0);
  });

  it('writes the wire layout of the spec for a small record', () => {
    const bytes = encodeLogs(oneRecord({ timeUnixNano: 1n, severityNumber: 9, eventName: 'e' }));
    // resource_logs(1) { scope_logs(2) { log_records(2) { time(1 fixed64) severity(2) event_name(12) } } }
    expect(Buffer.from(bytes).toString('hex')).toBe('0a121210120e' + '090100000000000000' + '1009' + '620165');
  });

  it('skips unknown fields of every wire type (newer senders)', () => {
    const known = encodeLogs(oneRecord({ severityText: 'INFO' }));
    // Inside the LogRecord, append field 99 as varint, i64, len, i32 and a group (tags as varints).
    const unknown = Buffer.from('98060f' + '99060102030405060708' + '8a0603616263' + '9d0601020304' + '9b06' + '0801' + '9c06', 'hex');
    const record = Buffer.concat([Buffer.from(known.subarray(6)), unknown]);
    const scope = Buffer.concat([Buffer.from([0x12, record.length]), record]);
    const rl = Buffer.concat([Buffer.from([0x12, scope.length]), scope, Buffer.from('f23e00', 'hex') /* field 1000, empty */]);
    const req = Buffer.concat([Buffer.from([0x0a, rl.length]), rl, Buffer.from('1001', 'hex') /* top-level field 2 varint */]);
    const decoded = decodeLogs(req);
    expect(decoded.resourceLogs[0].scopeLogs[0].logRecords[0].severityText).toBe('INFO');
  });

  it('treats a known field with an unexpected wire type as unknown instead of misreading it', () => {
    // LogRecord.time_unix_nano (1) sent as varint 5: skipped, stays 0.
    const req = Buffer.from('0a0712051203' + '0805', 'hex');
    req[1] = 6;
    req[3] = 4;
    req[5] = 2;
    expect(decodeLogs(req).resourceLogs[0].scopeLogs[0].logRecords[0].timeUnixNano).toBe(0n);
  });

  it('lets the last member of the AnyValue oneof win, as protobuf merges do', () => {
    // body: AnyValue { string_value "x", int_value 7 }
    const body = Buffer.from('0a01781807', 'hex');
    const record = Buffer.concat([Buffer.from([0x2a, body.length]), body]);
    const scope = Buffer.concat([Buffer.from([0x12, record.length]), record]);
    const rl = Buffer.concat([Buffer.from([0x12, scope.length]), scope]);
    const req = Buffer.concat([Buffer.from([0x0a, rl.length]), rl]);
    expect(decodeLogs(req).resourceLogs[0].scopeLogs[0].logRecords[0].body).toEqual({ intValue: 7n });
  });

  it('refuses every truncation of a valid request with PAYLOAD_INVALID', () => {
    const bytes = encodeLogs(richLogs());
    for (let cut = 1; cut < bytes.length; cut++) {
      const prefix = bytes.subarray(0, cut);
      try {
        decodeLogs(prefix);
      } catch (err) {
        expect((err as PermanentError).code).toBe('PAYLOAD_INVALID');
      }
    }
    // The cut right after the first length prefix cannot be a valid message.
    expectInvalid(() => decodeLogs(bytes.subarray(0, bytes.length - 1)));
  });

  it('answers garbage with PAYLOAD_INVALID or a harmless decode, never another error', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const next = prng(seed);
      const garbage = Uint8Array.from({ length: 1 + (seed % 64) }, next);
      try {
        decodeLogs(garbage);
      } catch (err) {
        expect(err).toBeInstanceOf(PermanentError);
        expect((err as PermanentError).code).toBe('PAYLOAD_INVALID');
      }
    }
    expectInvalid(() => decodeLogs(Buffer.from('0aff', 'hex')));
    expectInvalid(() => decodeLogs(Buffer.from('ffffffffffffffffffffff01', 'hex')));
    expectInvalid(() => decodeLogs(Buffer.from('0f', 'hex'))); // wire type 7
    expectInvalid(() => decodeLogs(Buffer.from('00', 'hex'))); // field number 0
    expectInvalid(() => decodeLogs(Buffer.from('0b0801', 'hex'))); // unterminated group
    expectInvalid(() => decodeLogs(Buffer.from('0a8080808010', 'hex'))); // length 2^32
  });

  it('refuses AnyValue nesting deep enough to exhaust the stack', () => {
    let value = Buffer.from('0801', 'hex'); // bool_value true
    for (let i = 0; i < 200; i++) {
      const list = Buffer.concat([Buffer.from([0x0a]), varint(value.length), value]); // ArrayValue.values
      value = Buffer.concat([Buffer.from([0x2a]), varint(list.length), list]); // AnyValue.array_value
    }
    const record = Buffer.concat([Buffer.from([0x2a]), varint(value.length), value]);
    const scope = Buffer.concat([Buffer.from([0x12]), varint(record.length), record]);
    const rl = Buffer.concat([Buffer.from([0x12]), varint(scope.length), scope]);
    expectInvalid(() => decodeLogs(Buffer.concat([Buffer.from([0x0a]), varint(rl.length), rl])));
  });

  it('copies ids and bytes out of the input buffer, so a reused transport buffer cannot change them', () => {
    const bytes = Buffer.from(encodeLogs(richLogs()));
    const decoded = decodeLogs(bytes);
    bytes.fill(0);
    expect(decoded).toEqual(richLogs());
  });
});

describe('ExportLogsServiceResponse codec', () => {
  it('leaves partial_success unset when everything was accepted', () => {
    expect(encodeExportResponse({})).toHaveLength(0);
    expect(decodeExportResponse(new Uint8Array(0))).toEqual({ rejectedLogRecords: 0n, errorMessage: '' });
  });

  it('round-trips rejected counts and the error message', () => {
    const bytes = encodeExportResponse({ rejectedLogRecords: 3, errorMessage: 'bad ✗' });
    expect(decodeExportResponse(bytes)).toEqual({ rejectedLogRecords: 3n, errorMessage: 'bad ✗' });
    expect(decodeExportResponse(encodeExportResponse({ rejectedLogRecords: INT64_MAX }))).toEqual({ rejectedLogRecords: INT64_MAX, errorMessage: '' });
  });

  it('refuses a truncated response with PAYLOAD_INVALID', () => {
    const bytes = encodeExportResponse({ rejectedLogRecords: 3, errorMessage: 'bad' });
    expectInvalid(() => decodeExportResponse(bytes.subarray(0, bytes.length - 1)));
  });
});

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}

describe('OTLP logs protobuf codec at scale', () => {
  it('round-trips a request with more nested messages than the encoder\'s initial scratch space', () => {
    const records = Array.from({ length: 3_000 }, (_, i) =>
      newLogRecord({ body: { stringValue: `r${i}` }, attributes: [{ key: 'i', value: { intValue: BigInt(i) } }, { key: 'k', value: { kvlistValue: { values: [{ key: 'x', value: { boolValue: true } }] } } }] }),
    );
    const logs: Logs = { resourceLogs: [{ scopeLogs: [{ logRecords: records, schemaUrl: '' }], schemaUrl: '' }] };
    const decoded = decodeLogs(encodeLogs(logs));
    expect(decoded).toEqual(logs);
    // And the encoder still works for a small request after a big one.
    expect(decodeLogs(encodeLogs(richLogs()))).toEqual(richLogs());
  });
});

describe('OTLP codecs on random requests', () => {
  it('round-trips 200 seeded random requests exactly through protobuf and OTLP/JSON', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const logs = withoutUndefined(randomLogs(seed));
      expect(decodeLogs(encodeLogs(logs)), `seed ${seed}`).toEqual(logs);
      expect(logsFromJson(logsToJson(logs)), `seed ${seed}`).toEqual(logs);
    }
  });
});
