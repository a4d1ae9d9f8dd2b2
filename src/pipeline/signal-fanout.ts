import type { SignalRequest } from '../pdata/signal.js';
import type { SignalConsumer } from './component.js';
import { combineErrors } from './fanout.js';

/**
 * FanOut (fanout.ts) for traces and metrics: the same request to every consumer, resolved when all
 * accepted, one combined error otherwise. The bytes are never changed in place, so every branch
 * shares them.
 */
export class SignalFanOut implements SignalConsumer {
  constructor(private readonly targets: readonly SignalConsumer[]) {}

  async consume(request: SignalRequest, signal?: AbortSignal): Promise<void> {
    if (this.targets.length === 1) return this.targets[0]!.consume(request, signal);
    const results = await Promise.allSettled(this.targets.map((t) => t.consume(request, signal)));
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown);
    if (failures.length > 0) throw combineErrors(failures);
  }
}
