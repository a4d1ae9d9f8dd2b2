import { DEFAULT_RETRY_AFTER_MS, PermanentError, RetryableError } from '../errors.js';
import { cloneLogs, type Logs } from '../pdata/model.js';
import type { LogsConsumer } from './component.js';

export interface FanOutTarget {
  consumer: LogsConsumer;
  /** The branch changes records in place, so it needs its own copy when it is not alone. */
  mutates: boolean;
}

/**
 * Hands the same logs to several consumers (pipelines of one receiver, exporters of one pipeline)
 * and resolves only when all of them accepted. If some refuse, the caller gets one error: retryable
 * when any branch is retryable (the client retries; branches that already accepted see a duplicate,
 * which at-least-once allows), permanent only when every refusing branch is permanent.
 */
export class FanOut implements LogsConsumer {
  constructor(private readonly targets: readonly FanOutTarget[]) {}

  async consume(logs: Logs, signal?: AbortSignal): Promise<void> {
    if (this.targets.length === 1) return this.targets[0].consumer.consume(logs, signal);
    const results = await Promise.allSettled(
      this.targets.map((t) => t.consumer.consume(t.mutates ? cloneLogs(logs) : logs, signal)),
    );
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown);
    if (failures.length === 0) return;
    throw combineErrors(failures);
  }
}

export function combineErrors(failures: unknown[]): Error {
  if (failures.length === 1 && failures[0] instanceof Error) return failures[0];
  const messages = failures.map((f) => (f instanceof Error ? f.message : String(f)));
  const retryables = failures.filter((f): f is RetryableError => f instanceof RetryableError);
  if (retryables.length > 0 || failures.some((f) => !(f instanceof PermanentError))) {
    const throttledBy = retryables.find((r) => r.throttled);
    const after = Math.max(0, ...retryables.map((r) => r.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS));
    return new RetryableError(messages.join('; '), after, throttledBy ? throttledBy.code : 'RETRYABLE', throttledBy !== undefined);
  }
  return new PermanentError(messages.join('; '));
}
