import { permanent, retryable, type SendResult } from './sender.js';

/**
 * One place that turns backend answers into SendResult values, per the OTLP spec's retry rules
 * (docs/architecture.md §4): HTTP 429/502/503/504 retryable (408 too for vendor APIs), honouring
 * Retry-After as seconds or an HTTP-date; everything else permanent.
 */

const OTLP_RETRYABLE_HTTP = new Set([429, 502, 503, 504]);
/** Vendor intake APIs (Datadog, Google, Azure) also document 408 and 500 as transient. */
const VENDOR_RETRYABLE_HTTP = new Set([408, 429, 500, 502, 503, 504]);

/** Longest delay we accept from a Retry-After header; a bogus huge value must not park a queue for days. */
export const MAX_RETRY_AFTER_MS = 10 * 60_000;

/** `Retry-After: 120` or `Retry-After: Wed, 21 Oct 2015 07:28:00 GMT` → ms from now. */
export function parseRetryAfter(value: string | null | undefined, nowMs = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(trimmed)) ms = Number(trimmed) * 1000;
  else {
    const at = Date.parse(trimmed);
    if (Number.isNaN(at)) return undefined;
    ms = at - nowMs;
  }
  return Math.min(Math.max(0, Math.round(ms)), MAX_RETRY_AFTER_MS);
}

/**
 * Classify a non-2xx HTTP answer. `body` is a short excerpt for the reason (never include request
 * headers: they hold credentials).
 */
export function classifyHttpFailure(
  status: number,
  responseHeaders: Headers,
  body = '',
  profile: 'otlp' | 'vendor' = 'otlp',
): SendResult {
  const reason = `HTTP ${status}${body ? `: ${body.slice(0, 300)}` : ''}`;
  const retryableSet = profile === 'otlp' ? OTLP_RETRYABLE_HTTP : VENDOR_RETRYABLE_HTTP;
  if (retryableSet.has(status)) return retryable(reason, parseRetryAfter(responseHeaders.get('retry-after')));
  return permanent(reason);
}

/** A fetch that threw: connection refused, reset, DNS, TLS, or our own timeout. All transient. */
export function classifyNetworkError(err: unknown): SendResult {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return retryable('request timed out');
  const detail = e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
  return retryable(`network error: ${detail}`);
}

/** gRPC status codes (numeric, as in @grpc/grpc-js `status`). */
const GRPC_RETRYABLE = new Set([1 /* CANCELLED */, 4 /* DEADLINE_EXCEEDED */, 10 /* ABORTED */, 11 /* OUT_OF_RANGE */, 14 /* UNAVAILABLE */, 15 /* DATA_LOSS */]);
const GRPC_RESOURCE_EXHAUSTED = 8;

/** RESOURCE_EXHAUSTED is retryable only when the server sent RetryInfo (OTLP spec). */
export function classifyGrpcFailure(code: number, details: string, retryInfoMs: number | undefined): SendResult {
  const reason = `gRPC status ${code}${details ? `: ${details.slice(0, 300)}` : ''}`;
  if (GRPC_RETRYABLE.has(code)) return retryable(reason, retryInfoMs);
  if (code === GRPC_RESOURCE_EXHAUSTED && retryInfoMs !== undefined) return retryable(reason, retryInfoMs);
  return permanent(reason);
}
