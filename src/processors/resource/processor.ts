import type { Logs } from '../../pdata/model.js';
import type { Component, CreateSettings, Host, LogsConsumer } from '../../pipeline/component.js';
import { eachResourceOnce } from '../helper/each-resource.js';
import { passOn } from '../helper/pass-on.js';
import { compileActions, type CompiledAction } from '../helper/actions-config.js';
import { applyActions } from '../helper/apply-actions.js';
import type { ResourceConfig } from './config.js';

/** Runs the configured actions on every resource's attributes (creating the resource if absent). */
export class ResourceProcessor implements Component, LogsConsumer {
  private readonly actions: CompiledAction[];

  constructor(
    private readonly settings: CreateSettings,
    config: ResourceConfig,
    private readonly next: LogsConsumer,
  ) {
    this.actions = compileActions(config.actions).compiled;
  }

  async start(_host: Host): Promise<void> {}
  async shutdown(): Promise<void> {}

  async consume(logs: Logs, signal?: AbortSignal): Promise<void> {
    await passOn(this.settings, this.next, logs, signal, () => eachResourceOnce(logs, true, (resource) => applyActions(this.actions, resource.attributes, logs.client)));
  }
}
