import type { SignalRequest } from '../../pdata/signal.js';
import type { Component, CreateSettings, SignalConsumer } from '../../pipeline/component.js';

/**
 * `batch` in a traces or metrics pipeline hands each request on at once: its batching happens
 * behind the exporters' queues, where its `send_batch_size`, `send_batch_max_size` and `timeout`
 * shape each exporter's `sending_queue.batch` (src/pipeline/batch-placement.ts). Requests are
 * bytes (src/pdata/signal.ts) and concatenated requests are one valid request, so the queue's
 * batcher joins them without decoding, and no client waits for a batch timeout.
 */
export class SignalBatchPassThrough implements Component, SignalConsumer {
  constructor(
    private readonly settings: CreateSettings,
    private readonly next: SignalConsumer,
  ) {}

  async start(): Promise<void> {}

  async shutdown(): Promise<void> {}

  async consume(request: SignalRequest, signal?: AbortSignal): Promise<void> {
    const id = { processor: this.settings.id };
    this.settings.telemetry.processorIncoming.inc(id, request.items);
    await this.next.consume(request, signal);
    this.settings.telemetry.processorOutgoing.inc(id, request.items);
  }
}
