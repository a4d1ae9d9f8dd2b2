/**
 * Incomplete executions (Make's "dlqs"): `GET /dlqs?scenarioId=` for each polled scenario. A record
 * when one appears (unresolved) and one when it becomes resolved (listed as `resolved`, or gone from
 * the list: retried successfully or deleted). The open set per scenario lives in storage and is
 * written only after the records were durably accepted downstream, so a restart neither repeats nor
 * loses a record (a crash between the two repeats that scenario's records once). One that was
 * created and resolved between two polls is not reported: it was never seen open.
 */
import { Gauge, type Registry } from 'prom-client';
import { isPermanent } from '../../errors.js';
import type { StorageClient } from '../../extensions/storage.js';
import { SeverityNumber, newLogRecord, type KeyValue, type LogRecord } from '../../pdata/model.js';
import { attr } from '../../pdata/values.js';
import type { LogsConsumer } from '../../pipeline/component.js';
import type { Logger } from '../../telemetry/logger.js';
import type { Telemetry } from '../../telemetry/telemetry.js';
import { MakeApiError, type MakeApiClient } from './api-client.js';
import { msToNanos, resourceLogs, scenarioResource, type ResourceContext } from './mapping.js';
import type { MakeScenario } from './scenarios.js';

export const INCOMPLETE_EVENT_NAME = 'make.incomplete_execution';
export const INCOMPLETE_RESOLVED_EVENT_NAME = 'make.incomplete_execution.resolved';
export const OPEN_GAUGE = 'gateway_make_incomplete_executions_open';
export const DLQ_PAGE_LIMIT = 100;
/** A guard against a server that never returns a short page. */
const MAX_DLQ_PAGES = 1_000;
const STATE_VERSION = 1;

export interface MakeIncompleteExecution {
  id: string;
  scenarioId?: number;
  reason?: string;
  resolved?: boolean;
  created?: string;
  executionId?: string;
  retry?: boolean;
  attempts?: number;
  size?: number;
}

interface OpenState {
  v: typeof STATE_VERSION;
  open: Record<string, { created?: string; reason?: string }>;
}

export interface IncompleteReaderOptions {
  receiverId: string;
  client: MakeApiClient;
  organizationId?: number;
  resource: ResourceContext;
  storage: StorageClient;
  next: LogsConsumer;
  telemetry: Telemetry;
  logger: Logger;
  now?: () => number;
}

export class IncompleteExecutionsReader {
  private readonly states = new Map<number, OpenState>();
  private readonly gauge: Gauge<'receiver' | 'scenario_id'>;
  private readonly now: () => number;

  constructor(private readonly o: IncompleteReaderOptions) {
    this.gauge = openGauge(o.telemetry.registry);
    this.now = o.now ?? Date.now;
  }

  async pass(scenarios: MakeScenario[], signal: AbortSignal): Promise<void> {
    for (const s of scenarios) {
      if (signal.aborted) return;
      try {
        await this.pollScenario(s, signal);
      } catch (err) {
        if (signal.aborted) return;
        const e = err instanceof MakeApiError ? err : undefined;
        this.o.logger.warn(`reading Make incomplete executions failed; retrying next poll${e?.isAuthFailure ? ' (check api_token and its scenarios:read scope)' : ''}`, {
          scenario_id: s.id,
          error: err instanceof Error ? err.message : String(err),
        });
      }
    }
  }

  private async pollScenario(s: MakeScenario, signal: AbortSignal): Promise<void> {
    const state = this.states.get(s.id) ?? (await this.load(s.id));
    this.states.set(s.id, state);
    const listed = await this.list(s.id, signal);
    const nowMs = this.now();
    const records: LogRecord[] = [];
    const open: OpenState['open'] = {};
    const byId = new Map(listed.map((d) => [d.id, d]));
    for (const d of listed) {
      if (d.resolved) continue;
      open[d.id] = { created: d.created, reason: d.reason };
      if (!state.open[d.id]) records.push(toRecord(d, INCOMPLETE_EVENT_NAME, nowMs));
    }
    for (const [id, was] of Object.entries(state.open)) {
      if (open[id]) continue;
      const now = byId.get(id) ?? { id, scenarioId: s.id, reason: was.reason, created: was.created, resolved: true };
      records.push(toRecord({ ...now, resolved: true }, INCOMPLETE_RESOLVED_EVENT_NAME, nowMs));
    }
    if (records.length > 0) {
      await this.deliver(s, records, signal);
      const next: OpenState = { v: STATE_VERSION, open };
      await this.o.storage.set(key(s.id), JSON.stringify(next));
      this.states.set(s.id, next);
    }
    this.gauge.set({ receiver: this.o.receiverId, scenario_id: String(s.id) }, Object.keys(open).length);
  }

  private async list(scenarioId: number, signal: AbortSignal): Promise<MakeIncompleteExecution[]> {
    const out: MakeIncompleteExecution[] = [];
    for (let page = 0; page < MAX_DLQ_PAGES; page++) {
      const body = await this.o.client.get<{ dlqs?: unknown }>('/dlqs', { scenarioId, 'pg[offset]': page * DLQ_PAGE_LIMIT, 'pg[limit]': DLQ_PAGE_LIMIT }, signal);
      if (!Array.isArray(body.dlqs)) throw new MakeApiError('/dlqs', 200, 'answered without a dlqs array');
      for (const d of body.dlqs as Partial<MakeIncompleteExecution>[]) if (d && typeof d.id === 'string') out.push(d as MakeIncompleteExecution);
      if (body.dlqs.length < DLQ_PAGE_LIMIT) break;
    }
    return out;
  }

  private async deliver(s: MakeScenario, records: LogRecord[], signal: AbortSignal): Promise<void> {
    const resource = scenarioResource(this.o.resource, { id: s.id, name: s.name, teamId: s.teamId, organizationId: this.o.organizationId });
    const labels = { receiver: this.o.receiverId, transport: 'poll' };
    try {
      await this.o.next.consume({ resourceLogs: [resourceLogs(resource, records)] });
    } catch (err) {
      if (!isPermanent(err) || signal.aborted) throw err;
      this.o.telemetry.receiverRefused.inc(labels, records.length);
      this.o.logger.error('downstream permanently refused Make incomplete-execution records; skipping them', { scenario_id: s.id, count: records.length });
      return;
    }
    this.o.telemetry.receiverAccepted.inc(labels, records.length);
  }

  private async load(scenarioId: number): Promise<OpenState> {
    const text = await this.o.storage.get(key(scenarioId));
    if (text !== undefined) {
      try {
        const s = JSON.parse(text) as Partial<OpenState>;
        if (s.v === STATE_VERSION && typeof s.open === 'object' && s.open !== null) return { v: STATE_VERSION, open: s.open };
      } catch {
        // fall through
      }
      this.o.logger.warn('stored Make incomplete-execution state unreadable; starting afresh', { scenario_id: scenarioId });
    }
    return { v: STATE_VERSION, open: {} };
  }
}

function key(scenarioId: number): string {
  return `scenario/${scenarioId}/incomplete`;
}

function toRecord(d: MakeIncompleteExecution, eventName: string, nowMs: number): LogRecord {
  const attributes: KeyValue[] = [attr('make.incomplete_execution.id', d.id)];
  const put = (k: string, v: unknown) => {
    if (v !== undefined && v !== null) attributes.push(attr(k, v));
  };
  put('make.incomplete_execution.reason', d.reason);
  put('make.incomplete_execution.attempts', d.attempts);
  put('make.incomplete_execution.size', d.size);
  put('make.incomplete_execution.retry', d.retry);
  put('make.incomplete_execution.resolved', d.resolved ?? false);
  put('make.execution.id', d.executionId);
  const created = d.created ? Date.parse(d.created) : NaN;
  const resolved = eventName === INCOMPLETE_RESOLVED_EVENT_NAME;
  return newLogRecord({
    // The resolution has no timestamp of its own in Make's answer: it is when we saw it.
    timeUnixNano: msToNanos(resolved || Number.isNaN(created) ? nowMs : created),
    observedTimeUnixNano: msToNanos(nowMs),
    severityNumber: resolved ? SeverityNumber.INFO : SeverityNumber.WARN,
    severityText: resolved ? 'INFO' : 'WARN',
    body: { stringValue: resolved ? `Incomplete execution ${d.id} resolved` : `Incomplete execution ${d.id}: ${d.reason ?? 'no reason given'}` },
    attributes,
    eventName,
  });
}

function openGauge(registry: Registry): Gauge<'receiver' | 'scenario_id'> {
  const existing = registry.getSingleMetric(OPEN_GAUGE);
  if (existing) return existing as Gauge<'receiver' | 'scenario_id'>;
  return new Gauge({ name: OPEN_GAUGE, help: 'Unresolved Make incomplete executions per scenario.', labelNames: ['receiver', 'scenario_id'], registers: [registry] });
}
