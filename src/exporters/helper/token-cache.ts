import { classifyNetworkError } from './classify.js';
import { retryable, type SendResult } from './sender.js';

/**
 * An OAuth access-token cache shared by the vendor adapters (Google service accounts, the GCE
 * metadata server, Entra ID client credentials).
 *
 * Invariants:
 * - At most one token request is in flight (single flight): a burst of sends after expiry makes
 *   one call to the token endpoint, not one per consumer.
 * - A token is reused until shortly before it expires, so a send never starts with a token the
 *   backend is about to reject.
 * - `invalidate(token)` after a 401 drops that token only; a newer token fetched meanwhile by
 *   another sender stays.
 *
 * Access tokens are not passed to registerSecret: they rotate hourly and the redaction set has
 * no way to forget one, so it would grow for as long as the gateway runs. They only ever travel
 * in an Authorization header and never enter a reason, log line or metric.
 */

/** What a token source returns. */
export interface AccessToken {
  readonly token: string;
  /** Lifetime as announced by the issuer (`expires_in`), in ms. */
  readonly expiresInMs: number;
}

/**
 * A token source failed. `result` says how the send should be classified: a wrong secret or a
 * disabled account is permanent, an unreachable or throttling token endpoint is retryable.
 * The message must already be free of secrets.
 */
export class TokenError extends Error {
  constructor(readonly result: Extract<SendResult, { kind: 'retryable' | 'permanent' }>) {
    super(result.reason);
    this.name = 'TokenError';
  }
}

const HTTP_UNAUTHORIZED = 401;

/**
 * One authenticated call with a cached token. A 401 means the token was revoked or expired inside
 * our refresh margin: drop it, take a fresh one and make the same call once more. Resolves with
 * the response, or undefined when a freshly issued token is refused too (retry later). Rejects
 * with TokenError as `get` does, and with what `call` throws.
 */
export async function fetchWithToken(tokens: TokenCache, signal: AbortSignal, call: (token: string) => Promise<Response>): Promise<Response | undefined> {
  const stale = await tokens.get(signal);
  const res = await call(stale);
  if (res.status !== HTTP_UNAUTHORIZED) return res;
  await res.body?.cancel();
  tokens.invalidate(stale);
  const again = await call(await tokens.get(signal));
  if (again.status !== HTTP_UNAUTHORIZED) return again;
  await again.body?.cancel();
  return undefined;
}

/**
 * `fetchWithToken` with its failures as outcomes (the vendor senders' one way to post with an
 * OAuth token): the backend's answer other than a 401, or the SendResult for a 401 even with a
 * fresh token, a token that could not be had, or a network error. `tokens` may be found lazily
 * (a sender that reads its credentials at the first send).
 */
export async function sendWithToken(tokens: () => TokenCache | Promise<TokenCache>, signal: AbortSignal, backend: string, call: (token: string) => Promise<Response>): Promise<Response | SendResult> {
  try {
    const answered = await fetchWithToken(await tokens(), signal, call);
    return answered ?? retryable(`HTTP 401 from ${backend} with a freshly issued token`);
  } catch (err) {
    if (err instanceof TokenError) return err.result;
    return classifyNetworkError(err);
  }
}

/** Refresh this long before expiry: covers clock skew and the time a large request spends in flight. */
export const TOKEN_REFRESH_SKEW_MS = 5 * 60_000;
/** Never treat less than this fraction of a token's lifetime as usable (short-lived test or STS tokens). */
const MIN_USABLE_FRACTION = 0.5;

export class TokenCache {
  private current: { token: string; refreshAtMs: number } | undefined;
  private inflight: Promise<string> | undefined;

  constructor(
    private readonly fetchToken: () => Promise<AccessToken>,
    private readonly now: () => number = Date.now,
    /** Refresh this long before expiry (capped at half the token's lifetime). */
    private readonly refreshSkewMs: number = TOKEN_REFRESH_SKEW_MS,
  ) {}

  /**
   * A valid token, from cache or freshly fetched. Rejects with TokenError. `signal` lets one
   * caller stop waiting (its send timed out) without cancelling the shared fetch for the others.
   */
  async get(signal?: AbortSignal): Promise<string> {
    const cur = this.current;
    if (cur && this.now() < cur.refreshAtMs) return cur.token;
    this.inflight ??= this.refresh().finally(() => {
      this.inflight = undefined;
    });
    return signal ? abandonOnAbort(this.inflight, signal) : this.inflight;
  }

  /** The backend refused `token` (HTTP 401): forget it so the next `get` fetches a new one. */
  invalidate(token: string): void {
    if (this.current?.token === token) this.current = undefined;
  }

  private async refresh(): Promise<string> {
    const fetchedAt = this.now();
    const { token, expiresInMs } = await this.fetchToken();
    const skew = Math.min(this.refreshSkewMs, expiresInMs * MIN_USABLE_FRACTION);
    this.current = { token, refreshAtMs: fetchedAt + expiresInMs - skew };
    return token;
  }
}

function abandonOnAbort(shared: Promise<string>, signal: AbortSignal): Promise<string> {
  if (signal.aborted) return Promise.reject(new TokenError({ kind: 'retryable', reason: 'timed out waiting for an access token' }));
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(new TokenError({ kind: 'retryable', reason: 'timed out waiting for an access token' }));
    signal.addEventListener('abort', onAbort, { once: true });
    shared.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Reads `expires_in` (seconds, number or numeric string as some issuers send it) → ms. */
export function expiresInMs(value: unknown, fallbackSeconds = 3600): number {
  const n = typeof value === 'string' ? Number(value) : typeof value === 'number' ? value : NaN;
  return (Number.isFinite(n) && n > 0 ? n : fallbackSeconds) * 1000;
}

/**
 * Classify a failed token-endpoint answer. 4xx other than 408/429 means the credentials or
 * configuration are wrong: retrying will not help. `detail` must not contain secrets.
 */
export function tokenFailure(endpointName: string, status: number, detail: string, retryAfterMs?: number): TokenError {
  const reason = `${endpointName} token request failed: HTTP ${status}${detail ? ` ${detail}` : ''}`;
  if (status === 408 || status === 429 || status >= 500) return new TokenError({ kind: 'retryable', reason, retryAfterMs });
  return new TokenError({ kind: 'permanent', reason });
}

/** A token endpoint that takes longer than this is treated as unreachable (retryable). */
export const TOKEN_REQUEST_TIMEOUT_MS = 15_000;

/**
 * One HTTP call to an OAuth-style token endpoint whose success body is
 * `{access_token, expires_in}`. Every failure becomes a TokenError; `scrub` removes any secret the
 * endpoint might echo back before the text is used in a reason. `fetchFn` is the exporter's HTTP
 * client (helper/http-client.ts), so the token endpoint is reached with the same `tls` and `proxy_url`.
 */
export async function requestToken(endpointName: string, url: string, init: RequestInit, scrub: (text: string) => string = (t) => t, fetchFn: typeof fetch = fetch): Promise<AccessToken> {
  let res: Response;
  try {
    res = await fetchFn(url, { ...init, signal: AbortSignal.timeout(TOKEN_REQUEST_TIMEOUT_MS) });
  } catch (err) {
    const e = err as { name?: string; cause?: { code?: string } };
    const detail = e?.name === 'TimeoutError' ? 'timed out' : (e?.cause?.code ?? 'network error');
    throw new TokenError({ kind: 'retryable', reason: `${endpointName} token request failed: ${detail}` });
  }
  const text = await res.text().catch(() => '');
  if (!res.ok) {
    const retryAfter = Number(res.headers.get('retry-after'));
    throw tokenFailure(endpointName, res.status, scrub(oauthErrorDetail(text)), Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined);
  }
  let body: { access_token?: unknown; expires_in?: unknown };
  try {
    body = JSON.parse(text);
  } catch {
    body = {};
  }
  if (typeof body.access_token !== 'string' || body.access_token === '') {
    throw new TokenError({ kind: 'retryable', reason: `${endpointName} token response had no access_token` });
  }
  return { token: body.access_token, expiresInMs: expiresInMs(body.expires_in) };
}

/** `{"error":"invalid_client","error_description":"…"}` → a short line (never the raw body). */
function oauthErrorDetail(text: string): string {
  try {
    const j = JSON.parse(text) as { error?: unknown; error_description?: unknown };
    const parts = [j.error, j.error_description].filter((x): x is string => typeof x === 'string');
    // Entra descriptions carry trace ids and timestamps after the first line; keep the first.
    return parts.join(': ').split(/\r?\n/)[0].slice(0, 300);
  } catch {
    return '';
  }
}
