import { cloneLogs, countLogRecords, type Logs, type LogRecord, type ResourceLogs, type ScopeLogs } from '../../pdata/model.js';
import type { Component, CreateSettings, Host, LogsConsumer } from '../../pipeline/component.js';
import type { ConnectorTarget } from '../../pipeline/factory.js';
import { combineErrors, FanOut } from '../../pipeline/fanout.js';
import { StatementErrors, type ErrorMode } from '../../ottl/error-mode.js';
import { newContext, type TransformContext } from '../../ottl/index.js';
import type { ClientInfo } from '../../pdata/client-info.js';
import type { CompiledRoute, RequestCondition } from './config.js';

/**
 * The routing connector (docs/connectors.md): splits each request by its routes' conditions and
 * hands every part to its pipelines at once. `consume` resolves only when every part was accepted
 * by every pipeline it went to, so the client's acknowledgement still waits for all the exporter
 * queues downstream (docs/architecture.md §4, invariant 1). Records that match no route and have
 * no default pipeline are counted (gateway_connector_unrouted_log_records_total) and logged at most
 * once per UNROUTED_LOG_INTERVAL_MS, never dropped unseen.
 */

/** A busy tenant without a route would otherwise write one log line per request. */
const UNROUTED_LOG_INTERVAL_MS = 10_000;

/** Where a part goes: the index of a route, or the default pipelines. */
type Destination = number | 'default';

export interface RoutingOptions {
  readonly routes: readonly CompiledRoute[];
  readonly defaultPipelines: readonly string[];
  readonly errorMode: ErrorMode;
  readonly matchOnce: boolean;
}

export class RoutingConnector implements Component, LogsConsumer {
  private readonly errors: StatementErrors;
  private readonly destinations = new Map<Destination, { consumer: LogsConsumer; singleMutating: boolean }>();
  private readonly byResource: boolean;
  private unroutedSinceLog = 0;
  private lastUnroutedLogAt = 0;

  constructor(
    private readonly settings: CreateSettings,
    private readonly options: RoutingOptions,
    pipelines: ReadonlyMap<string, ConnectorTarget>,
  ) {
    this.errors = new StatementErrors(settings);
    const toTargets = (ids: readonly string[]) => ids.map((id) => pipelines.get(id)!);
    options.routes.forEach((r, i) => this.destinations.set(i, destination(toTargets(r.pipelines))));
    if (options.defaultPipelines.length > 0) this.destinations.set('default', destination(toTargets(options.defaultPipelines)));
    this.byResource = options.routes.every((r) => r.kind === 'resource' || r.kind === 'request');
  }

  async start(_host: Host): Promise<void> {}
  async shutdown(): Promise<void> {}

  async consume(logs: Logs, signal?: AbortSignal): Promise<void> {
    let parts: Map<Destination, Logs>;
    const requestHits = this.requestHits(logs.client);
    try {
      parts = this.byResource ? this.splitByResource(logs, requestHits) : this.splitByRecord(logs, requestHits);
    } finally {
      this.errors.flush();
    }
    // A part keeps who sent the request: from_context further down reads it.
    if (logs.client) for (const part of parts.values()) if (part !== logs) part.client = logs.client;
    const sends: Promise<void>[] = [];
    for (const [dest, part] of parts) {
      const d = this.destinations.get(dest);
      if (!d) {
        this.unrouted(countLogRecords(part));
        continue;
      }
      // One destination for everything: the request itself goes on (its wire bytes stay usable).
      // A part of it shares resources and scopes with the other parts: a lone pipeline that
      // changes records gets its own copy (FanOut copies for several).
      const shared = part !== logs;
      sends.push(d.consumer.consume(shared && d.singleMutating ? cloneLogs(part) : part, signal));
    }
    const results = await Promise.allSettled(sends);
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown);
    if (failures.length > 0) throw combineErrors(failures);
  }

  /** The `request` routes the client's metadata matches (they hold for every record of the request). */
  private requestHits(client: ClientInfo | undefined): ReadonlySet<number> {
    const hits = new Set<number>();
    this.options.routes.forEach((r, i) => {
      if (r.kind === 'request' && requestMatches(r.request, client)) hits.add(i);
    });
    return hits;
  }

  /** The routes a context matches, in table order (only the first with match_once). */
  private match(ctx: TransformContext, kind: 'resource' | 'log', requestHits: ReadonlySet<number>): Destination[] {
    const out: Destination[] = [];
    const routes = this.options.routes;
    for (let i = 0; i < routes.length; i++) {
      const route = routes[i]!;
      let hit = false;
      if (route.kind === 'request') hit = requestHits.has(i);
      else if (route.kind !== kind) continue;
      else {
        try {
          hit = route.predicate(ctx);
        } catch (err) {
          this.errors.record(this.options.errorMode, route.source, err);
        }
      }
      if (!hit) continue;
      out.push(i);
      if (this.options.matchOnce) break;
    }
    return out.length > 0 ? out : ['default'];
  }

  private splitByResource(logs: Logs, requestHits: ReadonlySet<number>): Map<Destination, Logs> {
    const parts = new Map<Destination, Logs>();
    const all = logs.resourceLogs;
    for (const rl of all) {
      for (const dest of this.match(newContext(rl), 'resource', requestHits)) {
        const part = parts.get(dest);
        if (part) part.resourceLogs.push(rl);
        else parts.set(dest, { resourceLogs: [rl] });
      }
    }
    if (parts.size === 1 && this.options.matchOnce) {
      const [[dest, part]] = parts;
      if (part!.resourceLogs.length === all.length) return new Map([[dest!, logs]]);
    }
    return parts;
  }

  /** Log context (and resource routes mixed in): every record finds its destination on its own. */
  private splitByRecord(logs: Logs, requestHits: ReadonlySet<number>): Map<Destination, Logs> {
    const builders = new Map<Destination, Map<ResourceLogs, Map<ScopeLogs, LogRecord[]>>>();
    let total = 0;
    for (const rl of logs.resourceLogs) {
      const ctx = newContext(rl);
      const resourceDest = this.match(ctx, 'resource', requestHits);
      const resourceMatched = resourceDest[0] !== 'default';
      for (const sl of rl.scopeLogs) {
        ctx.scopeLogs = sl;
        for (const record of sl.logRecords) {
          total++;
          ctx.record = record;
          ctx.cache = undefined;
          let dests = this.match(ctx, 'log', requestHits);
          // A record goes by the first table entry that matches, resource or log: resource routes
          // are met before the record's own when they come first in the table.
          if (resourceMatched && (dests[0] === 'default' || (resourceDest[0] as number) < (dests[0] as number))) dests = resourceDest;
          for (const dest of dests) {
            let byResource = builders.get(dest);
            if (!byResource) builders.set(dest, (byResource = new Map()));
            let byScope = byResource.get(rl);
            if (!byScope) byResource.set(rl, (byScope = new Map()));
            const records = byScope.get(sl);
            if (records) records.push(record);
            else byScope.set(sl, [record]);
          }
        }
      }
    }
    const parts = new Map<Destination, Logs>();
    for (const [dest, byResource] of builders) {
      const resourceLogs = [...byResource].map(([rl, byScope]) => ({
        resource: rl.resource,
        schemaUrl: rl.schemaUrl,
        scopeLogs: [...byScope].map(([sl, logRecords]) => ({ scope: sl.scope, schemaUrl: sl.schemaUrl, logRecords })),
      }));
      parts.set(dest, { resourceLogs });
    }
    if (parts.size === 1 && this.options.matchOnce && total > 0) {
      const [[dest]] = parts;
      return new Map([[dest!, logs]]);
    }
    return parts;
  }

  private unrouted(records: number): void {
    if (records === 0) return;
    this.settings.telemetry.connectorUnrouted.inc({ connector: this.settings.id }, records);
    this.unroutedSinceLog += records;
    const now = Date.now();
    if (now - this.lastUnroutedLogAt < UNROUTED_LOG_INTERVAL_MS) return;
    this.settings.logger.warn('log records matched no route and there are no default_pipelines: not passed on (counted in gateway_connector_unrouted_log_records_total)', {
      connector: this.settings.id,
      log_records: this.unroutedSinceLog,
    });
    this.unroutedSinceLog = 0;
    this.lastUnroutedLogAt = now;
  }
}

/**
 * contrib's request grammar: `==` holds when the client sent the key with that value (any of its
 * values), `!=` when it did not. Metadata reaches the connector only with the receiver's
 * `include_metadata: true` (docs/connectors.md); without it every `==` is false.
 */
function requestMatches(c: RequestCondition, client: ClientInfo | undefined): boolean {
  const found = client?.metadata?.get(c.key)?.includes(c.value) ?? false;
  return c.equals ? found : !found;
}

/** One route's pipelines; a lone pipeline that changes records gets a copy when parts share objects. */
function destination(targets: ConnectorTarget[]): { consumer: LogsConsumer; singleMutating: boolean } {
  return { consumer: new FanOut(targets), singleMutating: targets.length === 1 && targets[0]!.mutates };
}
