import { PermanentError } from '../../errors.js';
import { SeverityNumber, newLogRecord, type KeyValue, type LogRecord, type Logs } from '../../pdata/model.js';
import { attr, toAnyValue } from '../../pdata/values.js';
import { executionToLogRecord, msToNanos, resourceLogs, scenarioResource, type MakeExecution, type ResourceContext } from './mapping.js';
import { PayloadInvalid, checkCount, checkValueLimits, parseExecutionStatus, parseScenarioId, parseWebhookTimestampMs } from './webhook-validation.js';

/**
 * What a Make scenario's HTTP module pushes: execution-shaped objects (they carry `scenarioId`)
 * map exactly like polled executions; any other object is a free-form log line
 * (`message`/`msg` → body, `level`/`severity` → severity, `timestamp` → time, the rest → attributes).
 */

const SEVERITY_BY_NAME: Record<string, number> = {
  trace: SeverityNumber.TRACE,
  debug: SeverityNumber.DEBUG,
  info: SeverityNumber.INFO,
  information: SeverityNumber.INFO,
  notice: 10,
  warn: SeverityNumber.WARN,
  warning: SeverityNumber.WARN,
  error: SeverityNumber.ERROR,
  err: SeverityNumber.ERROR,
  fatal: SeverityNumber.FATAL,
  critical: SeverityNumber.FATAL,
  crit: SeverityNumber.FATAL,
};
const SEVERITY_TEXT = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];

/** `info`, `WARNING`, `17`, 17 → [number, text]; anything else → unspecified, text kept. */
export function parseSeverity(v: unknown): [number, string] {
  let n: number | undefined;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string') n = /^\s*\d+\s*$/.test(v) ? Number(v) : SEVERITY_BY_NAME[v.trim().toLowerCase()];
  if (n !== undefined && Number.isInteger(n) && n >= 1 && n <= 24) return [n, SEVERITY_TEXT[Math.floor((n - 1) / 4)]];
  return [SeverityNumber.UNSPECIFIED, v === undefined || v === null ? '' : String(v)];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const COUNT_FIELDS = ['duration', 'operations', 'centicredits', 'transfer'] as const;

/** Validates an execution-shaped object (naming the bad field) and normalizes its time and status. */
function asExecution(o: Record<string, unknown>, where: string): MakeExecution {
  const status = parseExecutionStatus(o.status, `${where}.status`);
  if (o.id !== undefined && (typeof o.id !== 'string' || o.id === '')) throw new PayloadInvalid(`${where}.id`, 'expected the execution id as a non-empty string');
  for (const f of COUNT_FIELDS) checkCount(o[f], `${where}.${f}`);
  const e = { ...(o as unknown as MakeExecution), status };
  if (o.timestamp !== undefined) e.timestamp = new Date(parseWebhookTimestampMs(o.timestamp, `${where}.timestamp`)).toISOString();
  else if (typeof o.imtId !== 'string' || !/^\d{10,16}_/.test(o.imtId)) throw new PayloadInvalid(`${where}.timestamp`, 'missing (and no imtId to take the start time from)');
  return e;
}

function freeFormRecord(o: Record<string, unknown>, observedMs: number, where: string): LogRecord {
  const { message, msg, level, severity, timestamp, ...rest } = o;
  const bodyValue = message ?? msg;
  const [severityNumber, severityText] = parseSeverity(level ?? severity);
  const time = timestamp === undefined ? undefined : msToNanos(parseWebhookTimestampMs(timestamp, `${where}.timestamp`));
  const attributes: KeyValue[] = Object.entries(rest).map(([k, v]) => attr(k, v));
  // Keep what we could not read rather than dropping it.
  if (message !== undefined && msg !== undefined) attributes.push(attr('msg', msg));
  if (level !== undefined && severity !== undefined) attributes.push(attr('severity', severity));
  return newLogRecord({
    timeUnixNano: time ?? 0n,
    observedTimeUnixNano: msToNanos(observedMs),
    severityNumber,
    severityText,
    body: bodyValue === undefined ? undefined : typeof bodyValue === 'string' ? { stringValue: bodyValue } : toAnyValue(bodyValue),
    attributes,
  });
}

/**
 * Maps a whole request body (an object or an array of objects) or throws PermanentError naming the
 * element that is not an object: a request is accepted whole or not at all.
 */
export function webhookBodyToLogs(body: unknown, ctx: ResourceContext, observedMs: number, scenarioName: (id: unknown) => string | undefined): Logs {
  const items = Array.isArray(body) ? body : [body];
  const groups = new Map<string, { resource: KeyValue[]; records: LogRecord[] }>();
  const add = (key: string, resource: () => KeyValue[], record: LogRecord) => {
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { resource: resource(), records: [] }));
    g.records.push(record);
  };
  items.forEach((item, i) => {
    const where = Array.isArray(body) ? `[${i}]` : 'body';
    if (!isObject(item)) throw new PermanentError(`${Array.isArray(body) ? `element ${i}` : 'body'} is not a JSON object`, 'PAYLOAD_INVALID');
    checkValueLimits(item, where);
    if (item.scenarioId !== undefined) {
      const id = parseScenarioId(item.scenarioId, `${where}.scenarioId`);
      const e = asExecution(item, where);
      const name = typeof item.scenarioName === 'string' ? item.scenarioName : scenarioName(id);
      const scenario = { id, name, teamId: e.teamId, organizationId: e.organizationId };
      const key = JSON.stringify([scenario.id, scenario.name, scenario.teamId, scenario.organizationId]);
      add(key, () => scenarioResource(ctx, scenario), executionToLogRecord(e, name, observedMs));
    } else {
      add('', () => scenarioResource(ctx, undefined), freeFormRecord(item, observedMs, where));
    }
  });
  return { resourceLogs: [...groups.values()].map((g) => resourceLogs(g.resource, g.records)) };
}
