import { SeverityNumber, newLogRecord, type KeyValue, type LogRecord, type Logs, type ResourceLogs } from '../../pdata/model.js';
import { attr } from '../../pdata/values.js';

/**
 * The mapping contract of docs/make-receiver.md: one Make scenario execution → one LogRecord, under a
 * Resource that names the scenario. The poller and the webhook share it so a pushed execution and
 * a polled one are indistinguishable downstream.
 */

/** An execution log as `GET /scenarios/{id}/logs` returns it (fields Make may omit are optional). */
export interface MakeExecution {
  id: string;
  imtId: string;
  status: number;
  duration?: number;
  operations?: number;
  centicredits?: number;
  transfer?: number;
  organizationId?: number;
  teamId?: number;
  type?: string;
  authorId?: number | null;
  instant?: boolean;
  timestamp: string;
}

export interface ScenarioInfo {
  id: number | string;
  name?: string;
  teamId?: number;
  organizationId?: number;
}

export interface ResourceContext {
  serviceName: string;
  zone?: string;
}

export const EXECUTION_EVENT_NAME = 'make.scenario.execution';
export const SCOPE_NAME = 'make-otel-gateway/receiver/make';

const STATUS_NAMES: Record<number, string> = { 0: 'pending', 1: 'success', 2: 'warning', 3: 'error' };
const STATUS_SEVERITY: Record<number, [number, string]> = {
  0: [SeverityNumber.INFO, 'INFO'],
  1: [SeverityNumber.INFO, 'INFO'],
  2: [SeverityNumber.WARN, 'WARN'],
  3: [SeverityNumber.ERROR, 'ERROR'],
};

export function statusName(status: unknown): string {
  return typeof status === 'number' && STATUS_NAMES[status] ? STATUS_NAMES[status] : String(status);
}

export function msToNanos(ms: number): bigint {
  return BigInt(Math.trunc(ms)) * 1_000_000n;
}

/** Start time of the execution in epoch ms: `timestamp`, else the epoch-ms prefix of `imtId`. */
export function executionTimeMs(e: Pick<MakeExecution, 'timestamp' | 'imtId'>): number | undefined {
  const fromTimestamp = typeof e.timestamp === 'string' ? Date.parse(e.timestamp) : NaN;
  if (!Number.isNaN(fromTimestamp)) return fromTimestamp;
  const m = typeof e.imtId === 'string' ? /^(\d{10,16})_/.exec(e.imtId) : null;
  return m ? Number(m[1]) : undefined;
}

function describe(e: MakeExecution, scenarioName: string | undefined): string {
  const who = scenarioName ? `Scenario "${scenarioName}"` : 'Scenario';
  const parts = [`${who} execution ${e.id ?? '(no id)'}: ${statusName(e.status)}`];
  if (typeof e.duration === 'number') parts.push(`${e.duration} ms`);
  if (typeof e.operations === 'number') parts.push(`${e.operations} operation${e.operations === 1 ? '' : 's'}`);
  return parts.join(', ');
}

/** Numbers stay numbers (integers become int64 through `attr`); absent or null fields are left out. */
function optional(out: KeyValue[], key: string, value: unknown): void {
  if (value !== undefined && value !== null) out.push(attr(key, value));
}

export function executionToLogRecord(e: MakeExecution, scenarioName: string | undefined, observedMs: number): LogRecord {
  const [severityNumber, severityText] = STATUS_SEVERITY[e.status] ?? [SeverityNumber.INFO, 'INFO'];
  const timeMs = executionTimeMs(e);
  const attributes: KeyValue[] = [];
  optional(attributes, 'make.execution.id', e.id);
  optional(attributes, 'make.execution.imt_id', e.imtId);
  attributes.push(attr('make.execution.status', statusName(e.status)));
  optional(attributes, 'make.execution.type', e.type);
  optional(attributes, 'make.execution.duration_ms', e.duration);
  optional(attributes, 'make.execution.operations', e.operations);
  optional(attributes, 'make.execution.transfer_bytes', e.transfer);
  optional(attributes, 'make.execution.centicredits', e.centicredits);
  optional(attributes, 'make.execution.instant', e.instant);
  optional(attributes, 'make.execution.author_id', e.authorId);
  return newLogRecord({
    timeUnixNano: timeMs === undefined ? 0n : msToNanos(timeMs),
    observedTimeUnixNano: msToNanos(observedMs),
    severityNumber,
    severityText,
    body: { stringValue: describe(e, scenarioName) },
    attributes,
    eventName: EXECUTION_EVENT_NAME,
  });
}

export function scenarioResource(ctx: ResourceContext, scenario: ScenarioInfo | undefined): KeyValue[] {
  const out: KeyValue[] = [attr('service.name', ctx.serviceName)];
  if (scenario) {
    optional(out, 'make.organization.id', scenario.organizationId);
    optional(out, 'make.team.id', scenario.teamId);
    optional(out, 'make.scenario.id', scenario.id);
    optional(out, 'make.scenario.name', scenario.name);
  }
  optional(out, 'make.zone', ctx.zone);
  return out;
}

export function resourceLogs(resourceAttributes: KeyValue[], records: LogRecord[]): ResourceLogs {
  return {
    resource: { attributes: resourceAttributes, droppedAttributesCount: 0 },
    scopeLogs: [{ scope: { name: SCOPE_NAME, version: '', attributes: [], droppedAttributesCount: 0 }, logRecords: records, schemaUrl: '' }],
    schemaUrl: '',
  };
}

/** One scenario's executions as one Logs (resource = the scenario). */
export function executionsToLogs(ctx: ResourceContext, scenario: ScenarioInfo, executions: MakeExecution[], observedMs: number): Logs {
  const records = executions.map((e) => executionToLogRecord(e, scenario.name, observedMs));
  // A scenario listed by team may not say its organization; every execution does.
  const first = executions[0];
  const owner = { ...scenario, organizationId: scenario.organizationId ?? first?.organizationId, teamId: scenario.teamId ?? first?.teamId };
  return { resourceLogs: [resourceLogs(scenarioResource(ctx, owner), records)] };
}
