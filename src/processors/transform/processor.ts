import type { Logs } from '../../pdata/model.js';
import { LazyLogs } from '../../pdata/lazy-logs.js';
import type { WireUpsert } from '../../pdata/wire-upsert.js';
import type { Component, CreateSettings, Host, LogsConsumer } from '../../pipeline/component.js';
import { passOn } from '../helper/pass-on.js';
import { StatementErrors } from '../../ottl/error-mode.js';
import { newContext, type TransformContext } from '../../ottl/index.js';
import type { RunnableGroup } from './config.js';

/**
 * Runs OTTL statement groups over every record (or scope / resource, per the group's context),
 * group after group, then hands the batch on. Statements were compiled at start; the loop reuses
 * one context object.
 */
export class TransformProcessor implements Component, LogsConsumer {
  private readonly errors: StatementErrors;

  constructor(
    private readonly settings: CreateSettings,
    private readonly groups: RunnableGroup[],
    private readonly next: LogsConsumer,
    /** The statements as a splice into undecoded requests, when they allow it (wire-plan.ts). */
    private readonly wire?: WireUpsert,
  ) {
    this.errors = new StatementErrors(settings);
  }

  async start(_host: Host): Promise<void> {}
  async shutdown(): Promise<void> {}

  async consume(logs: Logs, signal?: AbortSignal): Promise<void> {
    await passOn(this.settings, this.next, logs, signal, () => {
      if (this.wire !== undefined && logs instanceof LazyLogs && logs.pristine) {
        // Only constant attribute sets: spliced into the bytes, the request stays undecoded.
        logs.replacePristineBytes(this.wire.apply(logs.pristineBytes!));
        return;
      }
      try {
        for (const group of this.groups) this.runGroup(group, logs);
      } finally {
        this.errors.flush();
      }
    });
  }

  private runGroup(group: RunnableGroup, logs: Logs): void {
    // Split batches can share one Resource / scope object between containers; statements for
    // those contexts run once per object, or `set(x, x + 1)` would apply twice.
    const seen = group.kind === 'log' ? undefined : new Set<object>();
    for (const rl of logs.resourceLogs) {
      const ctx = newContext(rl);
      if (group.kind === 'resource') {
        if (rl.resource && seen!.has(rl.resource)) continue;
        this.runOnce(group, ctx);
        if (rl.resource) seen!.add(rl.resource);
        continue;
      }
      for (const sl of rl.scopeLogs) {
        ctx.scopeLogs = sl;
        if (group.kind === 'scope') {
          if (sl.scope && seen!.has(sl.scope)) continue;
          ctx.cache = undefined;
          this.runOnce(group, ctx);
          if (sl.scope) seen!.add(sl.scope);
          continue;
        }
        const records = sl.logRecords;
        for (let i = 0; i < records.length; i++) {
          ctx.record = records[i];
          ctx.cache = undefined;
          this.runOnce(group, ctx);
        }
      }
    }
  }

  private runOnce(group: RunnableGroup, ctx: TransformContext): void {
    if (group.conditions.length > 0) {
      let any = false;
      for (let i = 0; i < group.conditions.length && !any; i++) {
        try {
          any = group.conditions[i](ctx);
        } catch (err) {
          this.errors.record(group.errorMode, 'conditions', err);
        }
      }
      if (!any) return;
    }
    const statements = group.statements;
    for (let i = 0; i < statements.length; i++) {
      try {
        statements[i].run(ctx);
      } catch (err) {
        this.errors.record(group.errorMode, statements[i].source, err);
      }
    }
  }
}
