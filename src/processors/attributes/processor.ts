import type { Logs } from '../../pdata/model.js';
import type { Component, CreateSettings, Host, LogsConsumer } from '../../pipeline/component.js';
import { passOn } from '../helper/pass-on.js';
import { compileActions, type CompiledAction } from '../helper/actions-config.js';
import { applyActions } from '../helper/apply-actions.js';
import type { AttributesConfig } from './config.js';
import { buildMatcher, type RecordMatcher } from './matcher.js';

/**
 * Runs the configured actions on each log record's attributes, for the records the include /
 * exclude blocks select. Changes records in place: the fan-out hands it its own copy
 * (mutatesData), so other pipelines never see the change.
 */
export class AttributesProcessor implements Component, LogsConsumer {
  private readonly actions: CompiledAction[];
  private readonly include: RecordMatcher | undefined;
  private readonly exclude: RecordMatcher | undefined;

  constructor(
    private readonly settings: CreateSettings,
    config: AttributesConfig,
    private readonly next: LogsConsumer,
  ) {
    this.actions = compileActions(config.actions).compiled;
    this.include = config.include && buildMatcher(config.include);
    this.exclude = config.exclude && buildMatcher(config.exclude);
  }

  async start(_host: Host): Promise<void> {}
  async shutdown(): Promise<void> {}

  async consume(logs: Logs, signal?: AbortSignal): Promise<void> {
    await passOn(this.settings, this.next, logs, signal, () => {
      for (const rl of logs.resourceLogs) {
        for (const sl of rl.scopeLogs) {
          for (const record of sl.logRecords) {
            if (this.include && !this.include(record, rl.resource, sl.scope)) continue;
            if (this.exclude && this.exclude(record, rl.resource, sl.scope)) continue;
            applyActions(this.actions, record.attributes, logs.client);
          }
        }
      }
    });
  }
}
