import { onAbort } from '../../abort-hooks.js';
import { isPermanent } from '../../errors.js';
import { countLogRecords, type Logs } from '../../pdata/model.js';
import { encodeLogs } from '../../pdata/proto.js';
import { abortableSleep, Backoff } from './backoff.js';
import type { RetryOnFailureConfig } from './config.js';
import type { ExportRequest, LogsSender, SendResult } from './sender.js';

/**
 * Send one request until it succeeds, fails for good, runs out of retry time, or the exporter
 * stops. Used by the queue workers and by the synchronous path (`sending_queue.enabled: false`),
 * so both follow the same retry rules.
 */

export type DeliveryOutcome =
  /** `rejectedLogs`: records the backend can never accept, for the dead-letter store (`message` says why). */
  | { kind: 'sent'; rejected: number; rejectedLogs?: Logs; message?: string }
  /** `why` is a low-cardinality label for metrics; `reason` the backend's words for the log. */
  | { kind: 'failed'; why: 'permanent' | 'retries_exhausted' | 'retry_disabled'; reason: string; retryAfterMs?: number }
  /** The exporter is stopping: the request was neither delivered nor refused. */
  | { kind: 'stopped' };

export interface DeliveryHooks {
  sender: LogsSender;
  timeoutMs: number;
  retry: RetryOnFailureConfig;
  /** Aborts on shutdown: in-flight sends and backoff sleeps end at once. */
  stop: AbortSignal;
  /** A failed attempt that will be retried after `delayMs`. */
  onRetry(result: Extract<SendResult, { kind: 'retryable' }>, delayMs: number): Promise<void> | void;
  /** Seams for tests. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  random?: () => number;
  now?: () => number;
}

export async function deliver(request: ExportRequest, hooks: DeliveryHooks): Promise<DeliveryOutcome> {
  const now = hooks.now ?? Date.now;
  const sleep = hooks.sleep ?? abortableSleep;
  const backoff = new Backoff(hooks.retry, hooks.random);
  const startedAt = now();
  // A partly delivered request (retryable with `retryLogs`) is retried with just what is left; the
  // records refused for good on the way are kept here until the request ends.
  let current = request;
  const refused: { logs: Logs; message: string }[] = [];
  for (;;) {
    if (hooks.stop.aborted) return { kind: 'stopped' };
    const result = await attempt(current, hooks);
    if (result.kind === 'success') return sent(result, refused);
    // A send cut short by shutdown says nothing about the backend: keep the request queued.
    if (hooks.stop.aborted) return { kind: 'stopped' };
    if (result.kind === 'permanent') return { kind: 'failed', why: 'permanent', reason: result.reason };
    if (!hooks.retry.enabled) return { kind: 'failed', why: 'retry_disabled', reason: result.reason, retryAfterMs: result.retryAfterMs };
    const delayMs = backoff.next(result.retryAfterMs);
    const maxElapsed = hooks.retry.max_elapsed_time;
    if (maxElapsed > 0 && now() - startedAt + delayMs > maxElapsed) {
      return { kind: 'failed', why: 'retries_exhausted', reason: `${result.reason} (gave up after ${now() - startedAt} ms)`, retryAfterMs: result.retryAfterMs };
    }
    await hooks.onRetry(result, delayMs);
    if (result.retryLogs) {
      if (result.rejectedLogs) refused.push({ logs: result.rejectedLogs, message: result.rejectedMessage ?? result.reason });
      current = requestOf(result.retryLogs);
    }
    await sleep(delayMs, hooks.stop);
  }
}

function sent(result: Extract<SendResult, { kind: 'success' }>, refused: { logs: Logs; message: string }[]): DeliveryOutcome {
  if (refused.length === 0) return { kind: 'sent', rejected: result.rejected ?? 0, rejectedLogs: result.rejectedLogs, message: result.message };
  const all = result.rejectedLogs ? [...refused, { logs: result.rejectedLogs, message: result.message ?? '' }] : refused;
  const rejectedLogs: Logs = { resourceLogs: all.flatMap((r) => r.logs.resourceLogs) };
  const earlier = refused.reduce((n, r) => n + countLogRecords(r.logs), 0);
  const message = all.map((r) => r.message).filter((m) => m).join('; ');
  return { kind: 'sent', rejected: (result.rejected ?? 0) + earlier, rejectedLogs, message };
}

function requestOf(logs: Logs): ExportRequest {
  let bytes: Uint8Array | undefined;
  return { records: countLogRecords(logs), logs: () => logs, bytes: () => (bytes ??= encodeLogs(logs)) };
}

async function attempt(request: ExportRequest, hooks: DeliveryHooks): Promise<SendResult> {
  // One controller per attempt, unhooked from the long-lived stop signal afterwards, so millions
  // of sends leave nothing behind (abort-hooks.ts says why not addEventListener).
  const controller = new AbortController();
  const timeoutError = () => controller.abort(new DOMException(`send timed out after ${hooks.timeoutMs} ms`, 'TimeoutError'));
  const stopError = () => controller.abort(hooks.stop.reason);
  const timer = setTimeout(timeoutError, hooks.timeoutMs);
  const unhook = onAbort(hooks.stop, stopError);
  try {
    return await hooks.sender.send(request, controller.signal);
  } catch (err) {
    // Senders classify backend failures themselves; a throw is a decode failure (permanent) or a
    // bug in the sender, which must not lose the request: retry it.
    if (isPermanent(err)) return { kind: 'permanent', reason: err.message };
    return { kind: 'retryable', reason: `sender failed: ${(err as Error)?.message ?? String(err)}` };
  } finally {
    clearTimeout(timer);
    unhook();
  }
}
