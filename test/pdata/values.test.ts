import { describe, expect, it } from 'vitest';
import { anyValueToPlainJson, anyValueToString, keyValuesToPlainJson, toAnyValue } from '../../src/pdata/values.js';

describe('AnyValue as text and as plain JSON', () => {
  it('writes scalars as they are written, ints exactly however large', () => {
    expect(anyValueToString({ stringValue: 'x' })).toBe('x');
    expect(anyValueToString({ intValue: 2n ** 63n - 1n })).toBe('9223372036854775807');
    expect(anyValueToString({ intValue: 5n })).toBe('5');
    expect(anyValueToString({ doubleValue: 1.5 })).toBe('1.5');
    expect(anyValueToString({ doubleValue: Number.NaN })).toBe('NaN');
    expect(anyValueToString({ boolValue: false })).toBe('false');
    expect(anyValueToString({ bytesValue: Uint8Array.from([1, 2, 3]) })).toBe('AQID');
    expect(anyValueToString(undefined)).toBe('');
  });

  it('writes maps and lists as JSON with the same value rules', () => {
    expect(anyValueToString(toAnyValue({ a: 1, b: [true, 'two', 2n ** 60n] }))).toBe('{"a":1,"b":[true,"two","1152921504606846976"]}');
  });

  it('keeps plain JSON safe for backends that read numbers as doubles', () => {
    expect(anyValueToPlainJson({ intValue: 42n })).toBe(42);
    expect(anyValueToPlainJson({ intValue: 2n ** 53n + 1n })).toBe('9007199254740993');
    expect(anyValueToPlainJson({ doubleValue: Number.POSITIVE_INFINITY })).toBe('Infinity');
    expect(anyValueToPlainJson({})).toBeNull();
    expect(keyValuesToPlainJson([{ key: 'k', value: toAnyValue({ nested: Uint8Array.from([255]) }) }])).toEqual({ k: { nested: '/w==' } });
  });
});
