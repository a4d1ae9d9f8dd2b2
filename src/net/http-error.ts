/**
 * A refusal a kit server's handler throws: the status and the text the client may read. Anything
 * else a handler throws becomes a 503 with a generic text (its message may hold internals, so it
 * goes to our log only): a kit server never answers 500 (the Collector's #9636).
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Text of the 503 for failures nobody anticipated. */
export const UNEXPECTED_ERROR_TEXT = 'internal error while handling the request; retry later';
/** Seconds a client waits after that 503. */
export const UNEXPECTED_RETRY_AFTER_SECONDS = '1';

/** The answer to a thrown error: its own status for an HttpError, else a retryable 503. */
export function httpErrorFor(err: unknown): HttpError {
  if (err instanceof HttpError) return err.status >= 500 && err.status !== 503 ? new HttpError(503, err.message, err.headers) : err;
  return new HttpError(503, UNEXPECTED_ERROR_TEXT, { 'Retry-After': UNEXPECTED_RETRY_AFTER_SECONDS });
}
