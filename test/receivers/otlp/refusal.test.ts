import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_AFTER_MS, PermanentError, RetryableError } from '../../../src/errors.js';
import { refusalFor, retryAfterSeconds, UNEXPECTED_MESSAGE } from '../../../src/receivers/otlp/refusal.js';

describe('refusalFor', () => {
  it('maps a retryable refusal to 503 / UNAVAILABLE with the requested delay', () => {
    expect(refusalFor(new RetryableError('exporter down', 2500))).toEqual({ httpStatus: 503, grpcCode: status.UNAVAILABLE, message: 'exporter down', retryAfterMs: 2500 });
  });

  it('maps a throttled refusal (queue full) to 429 / RESOURCE_EXHAUSTED with the default delay', () => {
    expect(refusalFor(new RetryableError('queue full', undefined, 'QUEUE_FULL'))).toEqual({
      httpStatus: 429,
      grpcCode: status.RESOURCE_EXHAUSTED,
      message: 'queue full',
      retryAfterMs: DEFAULT_RETRY_AFTER_MS,
    });
  });

  it('maps a permanent refusal to 400 / INVALID_ARGUMENT without a delay', () => {
    expect(refusalFor(new PermanentError('bad data'))).toEqual({ httpStatus: 400, grpcCode: status.INVALID_ARGUMENT, message: 'bad data' });
  });

  it('maps anything unexpected to a retryable 503 without leaking its message', () => {
    const r = refusalFor(new TypeError('cannot read properties of undefined (secret internals)'));
    expect(r).toMatchObject({ httpStatus: 503, grpcCode: status.UNAVAILABLE, message: UNEXPECTED_MESSAGE });
  });

  it('rounds Retry-After up to whole seconds', () => {
    expect(retryAfterSeconds(1)).toBe('1');
    expect(retryAfterSeconds(1000)).toBe('1');
    expect(retryAfterSeconds(1001)).toBe('2');
  });
});
