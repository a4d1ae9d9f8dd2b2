import { RetryableError } from '../../src/errors.js';
import type { Logs } from '../../src/pdata/model.js';
import type { LogsConsumer } from '../../src/pipeline/component.js';
import type { Telemetry } from '../../src/telemetry/telemetry.js';

/** Consume as a receiver's client would: a retryable refusal is answered by sending again. */
export async function consumeUntilAccepted(consumer: LogsConsumer, logs: Logs): Promise<void> {
  for (;;) {
    try {
      return await consumer.consume(logs);
    } catch (err) {
      if (!(err instanceof RetryableError)) throw err;
    }
  }
}

/** The sum of a metric over all its label sets. */
export async function metricTotal(telemetry: Telemetry, name: string): Promise<number> {
  const m = await telemetry.registry.getSingleMetric(name)?.get();
  return m?.values.reduce((sum, v) => sum + v.value, 0) ?? 0;
}
