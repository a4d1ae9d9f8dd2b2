import { DEFAULT_RETRY_AFTER_MS, RetryableError } from '../../errors.js';
import type { SignalRequest } from '../../pdata/signal.js';
import type { Component, CreateSettings, Host, SignalConsumer } from '../../pipeline/component.js';
import type { MemoryLimiterConfig } from './config.js';
import { MemoryLimiterProcessor } from './processor.js';

/**
 * `memory_limiter` in a traces or metrics pipeline: the same sampling, forced collections and
 * admission gate as in a logs pipeline (processor.ts runs them), refusing spans and data points
 * with the same throttling error (HTTP 429 / RESOURCE_EXHAUSTED) while memory is above the soft limit.
 */
export class SignalMemoryLimiter implements Component, SignalConsumer {
  private readonly limiter: MemoryLimiterProcessor;

  constructor(
    private readonly settings: CreateSettings,
    config: MemoryLimiterConfig,
    private readonly next: SignalConsumer,
  ) {
    // Only its memory checks are used: requests never reach its logs `next`.
    this.limiter = new MemoryLimiterProcessor(settings, config, { consume: async () => {} });
  }

  start(host: Host): Promise<void> {
    return this.limiter.start(host);
  }

  shutdown(): Promise<void> {
    return this.limiter.shutdown();
  }

  async consume(request: SignalRequest, signal?: AbortSignal): Promise<void> {
    const id = { processor: this.settings.id };
    this.settings.telemetry.processorIncoming.inc(id, request.items);
    if (this.limiter.isLimited) throw new RetryableError('memory usage is above the memory_limiter soft limit; retry later', DEFAULT_RETRY_AFTER_MS, 'MEMORY_LIMIT');
    this.settings.telemetry.processorOutgoing.inc(id, request.items);
    await this.next.consume(request, signal);
  }
}
