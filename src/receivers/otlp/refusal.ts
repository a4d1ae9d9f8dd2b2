import { GrpcCode as GrpcStatus } from '../../transport/grpc/codes.js';
import { DEFAULT_RETRY_AFTER_MS, GatewayError, PermanentError, RetryableError, type ErrorCode } from '../../errors.js';
import { redact } from '../../telemetry/secrets.js';

/**
 * One place that turns "why this request is refused" into both protocols' answers, so HTTP and
 * gRPC clients see the same semantics (docs/architecture.md §5, OTLP spec "Failures"):
 * retryable → 503/UNAVAILABLE, throttled → 429/RESOURCE_EXHAUSTED (both with a retry delay),
 * permanent → 400/INVALID_ARGUMENT, anything unexpected → 503/UNAVAILABLE.
 */
export interface Refusal {
  httpStatus: number;
  grpcCode: GrpcStatus;
  /** Developer-facing text for google.rpc.Status.message. Never carries secrets. */
  message: string;
  /** Set when the client should wait before retrying (HTTP Retry-After, gRPC RetryInfo). */
  retryAfterMs?: number;
}

const BY_CODE: Partial<Record<ErrorCode, { httpStatus: number; grpcCode: GrpcStatus }>> = {
  PAYLOAD_INVALID: { httpStatus: 400, grpcCode: GrpcStatus.INVALID_ARGUMENT },
  PAYLOAD_TOO_LARGE: { httpStatus: 413, grpcCode: GrpcStatus.RESOURCE_EXHAUSTED },
  UNSUPPORTED_MEDIA_TYPE: { httpStatus: 415, grpcCode: GrpcStatus.UNIMPLEMENTED },
  UNAUTHORIZED: { httpStatus: 401, grpcCode: GrpcStatus.UNAUTHENTICATED },
};

/** Text for failures we did not anticipate: their message may hold internals, so it stays in our logs. */
export const UNEXPECTED_MESSAGE = 'internal error while accepting the request; retry later';

export function refusalFor(err: unknown): Refusal {
  if (err instanceof RetryableError) {
    const retryAfterMs = err.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS;
    return err.throttled
      ? { httpStatus: 429, grpcCode: GrpcStatus.RESOURCE_EXHAUSTED, message: redact(err.message), retryAfterMs }
      : { httpStatus: 503, grpcCode: GrpcStatus.UNAVAILABLE, message: redact(err.message), retryAfterMs };
  }
  if (err instanceof GatewayError) {
    const mapped = BY_CODE[err.code];
    if (mapped) return { ...mapped, message: redact(err.message) };
    if (err instanceof PermanentError) return { httpStatus: 400, grpcCode: GrpcStatus.INVALID_ARGUMENT, message: redact(err.message) };
  }
  return { httpStatus: 503, grpcCode: GrpcStatus.UNAVAILABLE, message: UNEXPECTED_MESSAGE, retryAfterMs: DEFAULT_RETRY_AFTER_MS };
}

/** HTTP Retry-After is whole seconds; round up so the client never comes back early. */
export function retryAfterSeconds(ms: number): string {
  return String(Math.max(0, Math.ceil(ms / 1000)));
}

/** google.rpc.Code for an HTTP status, for the Status message in HTTP error bodies. */
export function grpcCodeForHttp(httpStatus: number): GrpcStatus {
  switch (httpStatus) {
    case 400: return GrpcStatus.INVALID_ARGUMENT;
    case 401: return GrpcStatus.UNAUTHENTICATED;
    case 404: return GrpcStatus.NOT_FOUND;
    case 405: return GrpcStatus.UNIMPLEMENTED;
    case 413: return GrpcStatus.RESOURCE_EXHAUSTED;
    case 415: return GrpcStatus.UNIMPLEMENTED;
    case 429: return GrpcStatus.RESOURCE_EXHAUSTED;
    default: return GrpcStatus.UNAVAILABLE;
  }
}
