/**
 * Every error the gateway raises on purpose, each with a stable `code` (listed in the README; a
 * test keeps the two in step). Consumers reject with `RetryableError` or `PermanentError`, which
 * receivers map onto protocol status codes (docs/architecture.md §5).
 */

export const ErrorCodes = {
  CONFIG_INVALID: 'Configuration failed validation; the message names the key path.',
  CONFIG_FILE_UNREADABLE: 'A --config file could not be read or parsed as YAML.',
  COMPONENT_START_FAILED: 'A component failed to start (port in use, unreadable file, ...).',
  RETRYABLE: 'Downstream refused for now; the client should retry (HTTP 503/429, gRPC UNAVAILABLE/RESOURCE_EXHAUSTED).',
  PERMANENT: 'Downstream refused the data for good (HTTP 400, gRPC INVALID_ARGUMENT).',
  QUEUE_FULL: 'An exporter queue is at capacity; the client should retry later (HTTP 429, gRPC RESOURCE_EXHAUSTED).',
  MEMORY_LIMIT: 'The memory_limiter is above its limit; the client should retry later (HTTP 429, gRPC RESOURCE_EXHAUSTED).',
  QUEUE_CORRUPT_RECORD: 'A stored queue record failed its checksum; it was skipped and counted.',
  QUEUE_CLOSED: 'The queue was closed while a request was waiting on it.',
  PAYLOAD_INVALID: 'A request body could not be decoded.',
  PAYLOAD_TOO_LARGE: 'A request body exceeded the configured limit (also after decompression).',
  UNSUPPORTED_MEDIA_TYPE: 'A request used a content type or encoding the endpoint does not accept.',
  UNAUTHORIZED: 'A request carried missing or wrong credentials.',
  CANCELLED: "A waiting request ended because its client went away or shutdown's grace period passed (HTTP 503, gRPC UNAVAILABLE); nothing of it was acknowledged.",
  EXPORT_FAILED: 'An export job could not run or finish (unknown scenario, Make API refusal, job running elsewhere); the message says why.',
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export class GatewayError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'GatewayError';
  }
}

/** The data may succeed later. `retryAfterMs` is the delay the refusing side asked for, if any. */
export class RetryableError extends GatewayError {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
    code: ErrorCode = 'RETRYABLE',
    /** true when the refusal is about capacity (queue full, memory): HTTP 429 / RESOURCE_EXHAUSTED. */
    readonly throttled = code === 'QUEUE_FULL' || code === 'MEMORY_LIMIT',
  ) {
    super(code, message);
    this.name = 'RetryableError';
  }
}

/** The data will never be accepted as it is. */
export class PermanentError extends GatewayError {
  constructor(message: string, code: ErrorCode = 'PERMANENT') {
    super(code, message);
    this.name = 'PermanentError';
  }
}

export class ConfigError extends GatewayError {
  constructor(
    message: string,
    readonly issues: string[] = [message],
  ) {
    super('CONFIG_INVALID', message);
    this.name = 'ConfigError';
  }
}

export function isRetryable(err: unknown): err is RetryableError {
  return err instanceof RetryableError;
}

export function isPermanent(err: unknown): err is PermanentError {
  return err instanceof PermanentError;
}

/** Default delay suggested to clients refused for capacity, when nothing better is known. */
export const DEFAULT_RETRY_AFTER_MS = 1_000;
