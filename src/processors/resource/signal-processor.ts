import { editSignalAttributes } from '../../pdata/signal-attributes.js';
import type { SignalRequest } from '../../pdata/signal.js';
import type { Component, CreateSettings, Host, SignalConsumer } from '../../pipeline/component.js';
import { compileActions, type CompiledAction } from '../helper/actions-config.js';
import { applyActions } from '../helper/apply-actions.js';
import type { ResourceConfig } from './config.js';

/**
 * `resource` in a traces or metrics pipeline: the same actions as for logs, on the Resource of
 * every ResourceSpans / ResourceMetrics (one created when absent), rewritten in the request's
 * protobuf bytes; spans and data points are copied as received (src/pdata/signal-attributes.ts).
 */
export class SignalResourceProcessor implements Component, SignalConsumer {
  private readonly actions: CompiledAction[];

  constructor(
    private readonly settings: CreateSettings,
    config: ResourceConfig,
    private readonly next: SignalConsumer,
  ) {
    this.actions = compileActions(config.actions).compiled;
  }

  async start(_host: Host): Promise<void> {}
  async shutdown(): Promise<void> {}

  async consume(request: SignalRequest, signal?: AbortSignal): Promise<void> {
    const id = { processor: this.settings.id };
    this.settings.telemetry.processorIncoming.inc(id, request.items);
    const bytes = editSignalAttributes(request.signal, request.bytes, { resource: (attrs) => applyActions(this.actions, attrs, request.client) });
    this.settings.telemetry.processorOutgoing.inc(id, request.items);
    await this.next.consume(bytes === request.bytes ? request : { ...request, bytes }, signal);
  }
}
