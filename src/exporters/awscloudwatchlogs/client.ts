import { CredentialsError, type AwsCredentials, type CredentialsProvider } from '../aws/credentials.js';
import { signPost } from '../aws/sigv4.js';
import { redact } from '../../telemetry/secrets.js';
import { classifyNetworkError, parseRetryAfter } from '../helper/classify.js';
import type { SendResult } from '../helper/sender.js';

/**
 * The CloudWatch Logs JSON protocol (awsJson1_1): `POST /` with `X-Amz-Target:
 * Logs_20140328.<Operation>`, `Content-Type: application/x-amz-json-1.1`, SigV4 for service
 * `logs`. Errors come back as `{"__type": "...", "message": "..."}` (and the x-amzn-ErrorType
 * header), the type possibly prefixed with a namespace (`com.amazonaws.logs#`) or suffixed with
 * `:http://...`, both stripped as the SDKs do.
 */

export const TARGET_PREFIX = 'Logs_20140328.';
export const CONTENT_TYPE = 'application/x-amz-json-1.1';
export const SERVICE = 'logs';
/** How much of an error message goes into a reason. */
const MAX_MESSAGE_CHARS = 300;
/** Answers that mean "these credentials are stale": fetch new ones and try once more. */
const STALE_CREDENTIALS = new Set(['ExpiredTokenException', 'ExpiredToken', 'RequestExpired', 'UnrecognizedClientException', 'InvalidClientTokenId']);

export type CallOutcome =
  | { kind: 'ok'; body: Record<string, unknown> }
  /** `retryAfterMs`: a Retry-After header, which AWS itself does not send but a proxy in front of it may. */
  | { kind: 'aws_error'; status: number; type: string; message: string; retryAfterMs?: number }
  /** The call did not reach an answer: network, timeout, credentials. Already classified. */
  | { kind: 'failed'; result: Extract<SendResult, { kind: 'retryable' | 'permanent' }> };

export function errorTypeOf(headerValue: string | null, body: Record<string, unknown>): string {
  const raw = headerValue || (typeof body.__type === 'string' ? body.__type : '') || (typeof body.code === 'string' ? body.code : '');
  return raw.split(':')[0].split('#').pop() || 'UnknownError';
}

export class CloudWatchLogsClient {
  constructor(
    private readonly url: URL,
    private readonly region: string,
    private readonly credentials: CredentialsProvider,
    private readonly userAgent: string,
    /** The exporter's HTTP client (its `tls` and `proxy_url`). */
    private readonly fetchFn: typeof fetch = fetch,
  ) {}

  async call(operation: string, payload: unknown, signal: AbortSignal): Promise<CallOutcome> {
    const body = JSON.stringify(payload);
    const first = await this.attempt(operation, body, signal);
    if (first.outcome.kind !== 'aws_error' || !STALE_CREDENTIALS.has(first.outcome.type) || !first.credentials) return first.outcome;
    this.credentials.invalidate(first.credentials);
    return (await this.attempt(operation, body, signal)).outcome;
  }

  private async attempt(operation: string, body: string, signal: AbortSignal): Promise<{ outcome: CallOutcome; credentials?: AwsCredentials }> {
    let credentials: AwsCredentials;
    try {
      credentials = await this.credentials.get();
    } catch (err) {
      const e = err as Error;
      const reason = redact(`AWS credentials: ${e.message}`);
      const retry = !(err instanceof CredentialsError) || err.retryable;
      return { outcome: { kind: 'failed', result: retry ? { kind: 'retryable', reason } : { kind: 'permanent', reason } } };
    }
    const headers = { 'content-type': CONTENT_TYPE, 'x-amz-target': TARGET_PREFIX + operation, 'user-agent': this.userAgent };
    const signed = await signPost(this.url, headers, body, credentials, this.region, SERVICE);
    // fetch sets Host itself from the URL (the same value that was signed).
    const { host: _host, ...sendHeaders } = signed.headers;
    let res: Response;
    try {
      res = await this.fetchFn(this.url, { method: 'POST', headers: sendHeaders, body, signal });
    } catch (err) {
      return { outcome: { kind: 'failed', result: classifyNetworkError(err) as Extract<SendResult, { kind: 'retryable' }> }, credentials };
    }
    const text = await res.text().catch(() => '');
    let json: Record<string, unknown> = {};
    try {
      json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      json = {};
    }
    if (res.ok) return { outcome: { kind: 'ok', body: json }, credentials };
    const message = String(json.message ?? json.Message ?? text).slice(0, MAX_MESSAGE_CHARS);
    return { outcome: { kind: 'aws_error', status: res.status, type: errorTypeOf(res.headers.get('x-amzn-errortype'), json), message: scrub(message, credentials), retryAfterMs: parseRetryAfter(res.headers.get('retry-after')) }, credentials };
  }
}

/**
 * AWS echoes the canonical request in some signature errors, and that holds the session token:
 * take both secrets out of any text that may reach a log or the dead-letter store.
 */
export function scrub(text: string, credentials: AwsCredentials): string {
  let out = redact(text);
  for (const secret of [credentials.secretAccessKey, credentials.sessionToken]) if (secret) out = out.split(secret).join('[REDACTED]');
  return out;
}
