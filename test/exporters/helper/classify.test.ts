import { describe, expect, it } from 'vitest';
import { classifyHttpFailure, classifyNetworkError, MAX_RETRY_AFTER_MS, parseRetryAfter } from '../../../src/exporters/helper/classify.js';

/**
 * The pure rules every HTTP sender classifies answers with. Each sender's use of them against its
 * backend is checked once, by the sender contract (test/exporters/sender.contract.ts).
 */

const NOW = Date.parse('2026-01-01T00:00:00Z');

describe('parseRetryAfter', () => {
  it('reads delay-seconds, fractional ones too', () => {
    expect(parseRetryAfter('120', NOW)).toBe(120_000);
    expect(parseRetryAfter(' 1.5 ', NOW)).toBe(1_500);
    expect(parseRetryAfter('0', NOW)).toBe(0);
  });

  it('reads an HTTP-date as the time left until it', () => {
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', NOW)).toBe(30_000);
  });

  it('takes a date in the past as no wait', () => {
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', NOW)).toBe(0);
  });

  it('caps a huge delay so a bogus header cannot park a queue for days', () => {
    expect(parseRetryAfter('999999', NOW)).toBe(MAX_RETRY_AFTER_MS);
  });

  it('ignores a missing or unreadable value', () => {
    expect(parseRetryAfter(null, NOW)).toBeUndefined();
    expect(parseRetryAfter('', NOW)).toBeUndefined();
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
  });
});

describe('classifyHttpFailure', () => {
  it.each([429, 502, 503, 504])('makes HTTP %i retryable under the OTLP rules, with the Retry-After delay', (status) => {
    expect(classifyHttpFailure(status, new Headers({ 'retry-after': '7' }), 'busy')).toEqual({ kind: 'retryable', reason: `HTTP ${status}: busy`, retryAfterMs: 7_000 });
  });

  it.each([400, 401, 403, 404, 408, 413, 500])('makes HTTP %i final under the OTLP rules', (status) => {
    expect(classifyHttpFailure(status, new Headers()).kind).toBe('permanent');
  });

  it.each([408, 500])('makes HTTP %i retryable for vendor APIs, which document it as transient', (status) => {
    expect(classifyHttpFailure(status, new Headers(), '', 'vendor').kind).toBe('retryable');
  });

  it('keeps at most 300 characters of the body in the reason', () => {
    const result = classifyHttpFailure(400, new Headers(), 'x'.repeat(5_000));
    expect(result.kind === 'permanent' && result.reason.length).toBe('HTTP 400: '.length + 300);
  });
});

describe('classifyNetworkError', () => {
  it('makes a timeout or an abort retryable', () => {
    expect(classifyNetworkError(new DOMException('t', 'TimeoutError'))).toEqual({ kind: 'retryable', reason: 'request timed out', retryAfterMs: undefined });
    expect(classifyNetworkError(new DOMException('a', 'AbortError')).kind).toBe('retryable');
  });

  it("names the socket error's code", () => {
    const err = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    expect(classifyNetworkError(err)).toMatchObject({ kind: 'retryable', reason: 'network error: ECONNREFUSED' });
  });
});
