import type { Logs, LogRecord, ScopeLogs } from '../../pdata/model.js';
import { countLogRecords } from '../../pdata/model.js';
import type { Component, CreateSettings, Host, LogsConsumer } from '../../pipeline/component.js';
import { StatementErrors, type ErrorMode } from '../../ottl/error-mode.js';
import { newContext, type TransformContext } from '../../ottl/index.js';
import type { FilterCondition } from './config.js';

/**
 * Drops every record (or whole scope / resource, for conditions in those contexts) for which any
 * condition is true. Emptied scopes and resources are removed; a batch with nothing left is not
 * passed on at all. Drops are counted in gateway_processor_filter_dropped_log_records_total.
 */
export class FilterProcessor implements Component, LogsConsumer {
  private readonly errors: StatementErrors;
  private readonly label: { processor: string };
  private readonly byKind: Record<'log' | 'scope' | 'resource', FilterCondition[]>;

  constructor(
    private readonly settings: CreateSettings,
    conditions: FilterCondition[],
    private readonly errorMode: ErrorMode,
    private readonly next: LogsConsumer,
  ) {
    this.errors = new StatementErrors(settings);
    this.label = { processor: settings.id };
    this.byKind = {
      log: conditions.filter((c) => c.kind === 'log'),
      scope: conditions.filter((c) => c.kind === 'scope'),
      resource: conditions.filter((c) => c.kind === 'resource'),
    };
  }

  async start(_host: Host): Promise<void> {}
  async shutdown(): Promise<void> {}

  async consume(logs: Logs, signal?: AbortSignal): Promise<void> {
    const { telemetry } = this.settings;
    const incoming = countLogRecords(logs);
    telemetry.processorIncoming.inc(this.label, incoming);
    try {
      logs.resourceLogs = logs.resourceLogs.filter((rl) => {
        const ctx = newContext(rl);
        if (this.matches(this.byKind.resource, ctx)) return false;
        rl.scopeLogs = rl.scopeLogs.filter((sl) => this.keepScope(sl, ctx));
        return rl.scopeLogs.length > 0;
      });
    } finally {
      this.errors.flush();
    }
    const outgoing = countLogRecords(logs);
    if (incoming > outgoing) telemetry.filterDropped.inc(this.label, incoming - outgoing);
    telemetry.processorOutgoing.inc(this.label, outgoing);
    if (outgoing === 0) return;
    await this.next.consume(logs, signal);
  }

  private keepScope(sl: ScopeLogs, ctx: TransformContext): boolean {
    ctx.scopeLogs = sl;
    ctx.record = undefined;
    ctx.cache = undefined;
    if (this.matches(this.byKind.scope, ctx)) return false;
    const conditions = this.byKind.log;
    if (conditions.length > 0) {
      sl.logRecords = sl.logRecords.filter((r: LogRecord) => {
        ctx.record = r;
        ctx.cache = undefined;
        return !this.matches(conditions, ctx);
      });
    }
    return sl.logRecords.length > 0;
  }

  /** true when any condition holds; a failing condition counts as false unless propagating. */
  private matches(conditions: FilterCondition[], ctx: TransformContext): boolean {
    for (let i = 0; i < conditions.length; i++) {
      try {
        if (conditions[i].predicate(ctx)) return true;
      } catch (err) {
        this.errors.record(this.errorMode, conditions[i].source, err);
      }
    }
    return false;
  }
}
