import type { DeliveryState } from '../../pipeline/gateway-view.js';
import type { Logger } from '../../telemetry/logger.js';
import { redact } from '../../telemetry/secrets.js';

/**
 * Makes an exporter's delivery failures visible in the gateway's own logs without flooding them
 * (docs/delivery.md, "Failures in the logs"): the first failed attempt is logged with its reason,
 * status and next retry time; while failures go on, at most one line per `intervalMs` says how
 * many attempts failed since the last line; the first success after that logs one recovery line.
 * Ten consumers retrying an unreachable backend make dozens of attempts a minute: logging each
 * would bury everything else, logging none (the gateway did before) hides the outage.
 *
 * Reasons pass through the logger's secret redaction (src/telemetry/logger.ts) like every line.
 */

/** At most one "still failing" line per exporter per minute. */
export const FAILURE_LOG_INTERVAL_MS = 60_000;

/**
 * Test-only: overrides FAILURE_LOG_INTERVAL_MS (milliseconds), so a test can watch several
 * intervals of an outage in seconds. Not a configuration key; documented in docs/delivery.md.
 */
export const FAILURE_LOG_INTERVAL_ENV = 'MAKE_OTEL_GATEWAY_FAILURE_LOG_INTERVAL_MS';

export function failureLogIntervalMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[FAILURE_LOG_INTERVAL_ENV];
  const ms = raw === undefined ? NaN : Number(raw);
  return Number.isFinite(ms) && ms > 0 ? ms : FAILURE_LOG_INTERVAL_MS;
}

export class FailureLog {
  private failingSince: number | undefined;
  private lastLineAt = 0;
  private failedSinceLine = 0;
  private failedTotal = 0;
  private lastError: string | undefined;
  private lastErrorAtMs: number | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** A send attempt failed; `retryInMs` undefined: it will not be retried (dead-lettered). */
  failed(reason: string, retryInMs: number | undefined): void {
    const now = this.now();
    this.failedTotal++;
    this.lastError = reason;
    this.lastErrorAtMs = now;
    const attrs = { reason, status: statusOf(reason), next_retry: retryInMs === undefined ? 'none' : new Date(now + retryInMs).toISOString() };
    if (this.failingSince === undefined) {
      this.failingSince = now;
      this.lastLineAt = now;
      this.failedSinceLine = 0;
      this.logger.warn('sending failed; will retry with backoff', attrs);
      return;
    }
    this.failedSinceLine++;
    if (now - this.lastLineAt < this.intervalMs) return;
    this.logger.warn('sending still failing', { ...attrs, failed_attempts_since_last_line: this.failedSinceLine, failing_for_s: Math.round((now - this.failingSince) / 1000) });
    this.lastLineAt = now;
    this.failedSinceLine = 0;
  }

  /** For the admin API: the failing spell, if any, and the last error (kept after recovery), scrubbed of secrets. */
  state(): DeliveryState {
    return {
      failingSinceMs: this.failingSince,
      failedAttempts: this.failedTotal,
      lastError: this.lastError === undefined ? undefined : redact(this.lastError),
      lastErrorAtMs: this.lastErrorAtMs,
    };
  }

  /** A send succeeded: ends a failing spell with one line. */
  succeeded(): void {
    if (this.failingSince === undefined) return;
    const now = this.now();
    this.logger.info('sending recovered; delivery resumed', {
      failed_attempts: this.failedTotal,
      failed_attempts_since_last_line: this.failedSinceLine,
      failing_for_s: Math.round((now - this.failingSince) / 1000),
    });
    this.failingSince = undefined;
    this.failedSinceLine = 0;
    this.failedTotal = 0;
  }
}

/**
 * The status part of a sender's reason (src/exporters/helper/classify.ts writes them):
 * `HTTP 503: …` → `503`, `gRPC status 14: …` → `grpc 14`, `network error: connect ECONNREFUSED …`
 * → `ECONNREFUSED`, a timeout → `timeout`, anything else → `none`.
 */
export function statusOf(reason: string): string {
  const http = /^HTTP (\d{3})\b/.exec(reason);
  if (http) return http[1]!;
  const grpc = /^gRPC status (\d+)\b/.exec(reason);
  if (grpc) return `grpc ${grpc[1]}`;
  // `network error: ECONNRESET`, or the cause's message: `network error: connect ECONNREFUSED 127.0.0.1:4318`.
  const net = /^network error: (?:.*?\b)?(E[A-Z]{3,}|UND_ERR_[A-Z_]+)\b/.exec(reason);
  if (net) return net[1]!;
  if (reason.startsWith('request timed out')) return 'timeout';
  return 'none';
}
