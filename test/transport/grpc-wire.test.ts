import { describe, expect, it } from 'vitest';
import { binaryHeaderValue, encodeGrpcMessage, frameMessage, parseGrpcTimeout } from '../../src/transport/grpc/wire.js';

describe('gRPC wire details', () => {
  it('reads grpc-timeout in every unit, rounding up, and ignores malformed values', () => {
    expect([parseGrpcTimeout('1H'), parseGrpcTimeout('2M'), parseGrpcTimeout('3S'), parseGrpcTimeout('250m')]).toEqual([3_600_000, 120_000, 3_000, 250]);
    expect([parseGrpcTimeout('1500u'), parseGrpcTimeout('1n'), parseGrpcTimeout('0m')]).toEqual([2, 1, 0]);
    expect([parseGrpcTimeout('123456789S'), parseGrpcTimeout('5s'), parseGrpcTimeout('S'), parseGrpcTimeout(''), parseGrpcTimeout(undefined), parseGrpcTimeout(['1S'])]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('percent-encodes grpc-message outside printable ASCII and the percent sign itself, as clients decode it', () => {
    expect(encodeGrpcMessage('queue full; retry')).toBe('queue full; retry');
    const text = 'file pleine: 100 % — réessayez\n';
    const encoded = encodeGrpcMessage(text);
    expect(encoded).toMatch(/^[\x20-\x7e]*$/);
    expect(encoded).toContain('100 %25');
    expect(decodeURIComponent(encoded)).toBe(text);
  });

  it('frames a message behind a 5-byte prefix and writes -bin values as unpadded base64', () => {
    const framed = frameMessage(new Uint8Array([7, 8, 9]));
    expect([...framed]).toEqual([0, 0, 0, 0, 3, 7, 8, 9]);
    expect(binaryHeaderValue(new Uint8Array([1]))).toBe('AQ');
    expect(Buffer.from(binaryHeaderValue(new Uint8Array([1, 2, 3, 4])), 'base64')).toEqual(Buffer.from([1, 2, 3, 4]));
  });
});
