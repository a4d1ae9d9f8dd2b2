import { describe, expect, it } from 'vitest';
import { evaluate } from './harness.js';

const record = {
  attributes: { s: 'hello', n: 42n, f: 1.5, t: true, nested: { a: { b: 'deep' } }, list: ['x', 'y'] },
  body: 'user=bob status=500',
};

describe('OTTL literals and operators', () => {
  it.each([
    ['"a\\"b"', 'a"b'],
    ['"tab\\there"', 'tab\there'],
    ['"\\\\d+"', '\\d+'],
    ['"\\d+"', '\\d+'],
    ['9223372036854775807', 9223372036854775807n],
    ['-9223372036854775808', -9223372036854775808n],
    ['1.25', 1.25],
    ['-2.5', -2.5],
    ['true', true],
    ['false', false],
    ['0xCAFE', new Uint8Array([0xca, 0xfe])],
    ['SEVERITY_NUMBER_TRACE', 1n],
    ['SEVERITY_NUMBER_INFO', 9n],
    ['SEVERITY_NUMBER_WARN2', 14n],
    ['SEVERITY_NUMBER_FATAL4', 24n],
    ['SEVERITY_NUMBER_UNSPECIFIED', 0n],
    ['1 + 2 * 3', 7n],
    ['(1 + 2) * 3', 9n],
    ['7 / 2', 3n],
    ['7.0 / 2', 3.5],
    ['10 - 2.5', 7.5],
    ['9223372036854775807 + 1', -9223372036854775808n],
    ['attributes["n"] * 2', 84n],
    ['-attributes["n"]', -42n],
  ])('evaluates %s', async (expr, expected) => {
    expect(await evaluate(expr, record)).toEqual(expected);
  });

  it('keeps nil as nil: setting a missing value is a no-op', async () => {
    expect(await evaluate('nil', record)).toBeUndefined();
    expect(await evaluate('attributes["missing"]', record)).toBeUndefined();
  });

  it.each([
    ['1 == 1', true],
    ['1 == 1.0', true],
    ['2 > 1.5', true],
    ['1.5 >= 2', false],
    ['"a" < "b"', true],
    ['"b" <= "a"', false],
    ['"1" == 1', false],
    ['"1" != 1', true],
    ['1 < "2"', false],
    ['nil == nil', true],
    ['attributes["missing"] == nil', true],
    ['attributes["s"] == nil', false],
    ['attributes["s"] != nil', true],
    ['nil < 1', false],
    ['false < true', true],
    ['true == true', true],
    ['0x01 < 0x02', true],
    ['0xCAFE == 0xcafe', true],
    ['attributes["nested"] == attributes["nested"]', true],
    ['attributes["list"] == ["x", "y"]', true],
    ['attributes["list"] == ["y", "x"]', false],
    ['attributes["nested"] < attributes["nested"]', false],
    ['true and false', false],
    ['true or false', true],
    ['not true', false],
    ['not (1 == 2)', true],
    ['1 == 2 or 2 == 2 and 3 == 3', true],
    ['(1 == 2 or 2 == 2) and 3 == 4', false],
    ['not 1 == 2 and true', true],
  ])('compares %s → %s', async (expr, expected) => {
    expect(await evaluate(expr, record)).toBe(expected);
  });

  it('divides by zero as a statement error', async () => {
    await expect(evaluate('1 / 0', record)).rejects.toThrow(/division by zero/);
  });
});

describe('OTTL paths', () => {
  const full = {
    attributes: record.attributes,
    body: { msg: 'hi', items: [{ id: 1n }, { id: 2n }] },
    fields: {
      severityNumber: 17,
      severityText: 'ERROR',
      timeUnixNano: 1_700_000_000_000_000_000n,
      observedTimeUnixNano: 1_700_000_000_500_000_000n,
      traceId: new Uint8Array(16).fill(1),
      spanId: new Uint8Array(8).fill(2),
      eventName: 'make.scenario.execution',
      flags: 1,
      droppedAttributesCount: 3,
    },
  };
  it.each([
    ['attributes["s"]', 'hello'],
    ['log.attributes["s"]', 'hello'],
    ['attributes["nested"]["a"]["b"]', 'deep'],
    ['attributes["list"][1]', 'y'],
    ['body["msg"]', 'hi'],
    ['log.body["items"][1]["id"]', 2n],
    ['resource.attributes["service.name"]', 'make'],
    ['instrumentation_scope.name', 'make'],
    ['instrumentation_scope.version', '1.0'],
    ['scope.name', 'make'],
    ['severity_number', 17n],
    ['log.severity_number', 17n],
    ['severity_text', 'ERROR'],
    ['time_unix_nano', 1_700_000_000_000_000_000n],
    ['observed_time_unix_nano', 1_700_000_000_500_000_000n],
    ['trace_id', new Uint8Array(16).fill(1)],
    ['span_id', new Uint8Array(8).fill(2)],
    ['trace_id.string', '01'.repeat(16)],
    ['span_id.string', '02'.repeat(8)],
    ['event_name', 'make.scenario.execution'],
    ['flags', 1n],
    ['dropped_attributes_count', 3n],
    ['resource.dropped_attributes_count', 0n],
    ['Len(attributes)', 6n],
  ])('reads %s', async (path, expected) => {
    expect(await evaluate(path, full, { 'service.name': 'make' })).toEqual(expected);
  });
});
