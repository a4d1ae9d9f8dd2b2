import { parseRetryAfter } from '../../exporters/helper/classify.js';
import type { Logger } from '../../telemetry/logger.js';
import type { Telemetry } from '../../telemetry/telemetry.js';
import { sleep, type RateLimiter } from './rate-limiter.js';

/**
 * A small Make API v2 client: `Authorization: Token …`, every call paced by the shared rate
 * limiter, 429 answered by pausing every caller (Make counts per organization) and retrying.
 * Errors carry status and Make's `message`/`code`, never request headers: the token stays out of
 * logs, errors and metrics.
 */

/** A stuck connection must not hold a whole poll pass. */
export const REQUEST_TIMEOUT_MS = 30_000;
/** 429 without Retry-After: wait 1 s, 2 s, 4 s … up to a minute (Make's window). */
export const RATE_LIMIT_BACKOFF_INITIAL_MS = 1_000;
export const RATE_LIMIT_BACKOFF_MAX_MS = 60_000;
/** After this many 429s in a row the call fails; the scenario is tried again next poll. */
export const MAX_RATE_LIMITED_ATTEMPTS = 6;

export type Query = Record<string, string | number | boolean | undefined>;

export class MakeApiError extends Error {
  constructor(
    readonly path: string,
    /** HTTP status, or 'network' when no answer came. */
    readonly status: number | 'network',
    detail: string,
  ) {
    super(`Make API GET ${path}: ${status === 'network' ? 'network error' : `HTTP ${status}`}${detail ? ` ${detail}` : ''}`);
    this.name = 'MakeApiError';
  }

  get isAuthFailure(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

export interface MakeApiClientOptions {
  baseUrl: string;
  token: string;
  limiter: RateLimiter;
  telemetry: Telemetry;
  receiverId: string;
  logger: Logger;
  backoffInitialMs?: number;
}

export class MakeApiClient {
  private readonly authorization: string;

  constructor(private readonly opts: MakeApiClientOptions) {
    // OAuth access tokens are sent as Bearer, API tokens as Token (Make API docs, "Authentication").
    this.authorization = /^bearer\s/i.test(opts.token) ? opts.token : `Token ${opts.token}`;
  }

  async get<T>(path: string, query: Query, signal: AbortSignal): Promise<T> {
    let backoffMs = this.opts.backoffInitialMs ?? RATE_LIMIT_BACKOFF_INITIAL_MS;
    for (let attempt = 1; ; attempt++) {
      await this.opts.limiter.acquire(signal);
      const res = await this.send(path, query, signal);
      this.count(String(res.status));
      if (res.ok) {
        try {
          return (await res.json()) as T;
        } catch {
          throw new MakeApiError(path, res.status, 'answered with a body that is not JSON');
        }
      }
      const detail = await errorDetail(res);
      if (res.status !== 429 || attempt >= MAX_RATE_LIMITED_ATTEMPTS) throw new MakeApiError(path, res.status, detail);
      const waitMs = parseRetryAfter(res.headers.get('retry-after')) ?? backoffMs;
      backoffMs = Math.min(backoffMs * 2, RATE_LIMIT_BACKOFF_MAX_MS);
      this.opts.logger.warn('Make API rate limit reached; pausing requests', { path, wait_ms: waitMs, detail });
      this.opts.limiter.pauseFor(waitMs);
      await sleep(0, signal);
    }
  }

  private async send(path: string, query: Query, signal: AbortSignal): Promise<Response> {
    const url = new URL(this.opts.baseUrl + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    try {
      return await fetch(url, {
        headers: { authorization: this.authorization, accept: 'application/json' },
        signal: AbortSignal.any([signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
      });
    } catch (err) {
      if (signal.aborted) throw err;
      this.count('network');
      const e = err as { name?: string; cause?: { code?: string; message?: string }; message?: string };
      const why = e.name === 'TimeoutError' ? `timed out after ${REQUEST_TIMEOUT_MS} ms` : (e.cause?.code ?? e.cause?.message ?? e.message ?? 'unknown');
      throw new MakeApiError(path, 'network', `(${why})`);
    }
  }

  private count(status: string): void {
    this.opts.telemetry.makeApiRequests.inc({ receiver: this.opts.receiverId, status });
  }
}

/** Make's error body is `{"detail","message","code"}`; keep it short and header-free. */
async function errorDetail(res: Response): Promise<string> {
  const text = (await res.text().catch(() => '')).slice(0, 500);
  try {
    const body = JSON.parse(text) as { message?: unknown; detail?: unknown; code?: unknown };
    const parts = [body.message, body.code ? `(${String(body.code)})` : undefined, body.detail ? `: ${String(body.detail)}` : undefined];
    return parts.filter((p) => p !== undefined && p !== '').join(' ');
  } catch {
    return text.slice(0, 200);
  }
}
