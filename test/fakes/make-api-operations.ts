import { randomBytes, randomUUID } from 'node:crypto';
import { ApiError, checkParams, limitParam, optionalInt, sortDirParam, type FakeMakeApi } from './make-api.js';

/**
 * The fake Make API's audit-log and incomplete-execution calls, with the shapes and parameters of
 * Make's SDK (src/endpoints/audit-logs.ts, incomplete-executions.ts): `GET
 * /audit-logs/v2/organization/{id}` and `/team/{id}` (sorted by triggeredAt, paged by `pg[last]`,
 * 403 without the license) and `GET /dlqs?scenarioId=`. Strict like the rest of the fake: unknown
 * parameters, a bad date or a `pg[last]` not in the listing are 400.
 */

const AUDIT_PARAMS = new Set(['dateFrom', 'dateTo', 'pg[sortBy]', 'pg[sortDir]', 'pg[last]', 'pg[limit]', 'pg[offset]', 'pg[returnTotalCount]', 'event[]', 'author[]', 'team[]']);
const DLQ_PARAMS = new Set(['scenarioId', 'pg[offset]', 'pg[limit]', 'pg[sortBy]', 'pg[sortDir]']);

export interface FakeAuditLog {
  imtId: string;
  uuid: string;
  createdAt: string;
  triggeredAt: string;
  organizationId: number;
  organization: { id: number; name: string };
  eventName: string;
  team?: { id: number; name: string };
  actor: { id: number; name?: string; email?: string; anonymized?: boolean };
  targetId: string;
  version?: { from?: string; to: string };
}

export interface FakeIncompleteExecution {
  id: string;
  scenarioId: number;
  scenarioName: string;
  companyId: number;
  companyName: string;
  reason: string;
  resolved: boolean;
  deleted: boolean;
  index: number;
  created: string;
  executionId: string;
  retry: boolean;
  attempts: number;
  size: number;
}

export class FakeMakeOperations {
  private readonly auditLogs: FakeAuditLog[] = [];
  private readonly dlqs = new Map<number, FakeIncompleteExecution[]>();
  /** false: the organization's license has no audit logs (Make answers 403). */
  auditLogsLicensed = true;

  constructor(private readonly api: FakeMakeApi) {}

  /** An audit log entry triggered at `triggeredMs` (default now), stored `storedDelayMs` later. */
  addAuditLog(fields: Partial<FakeAuditLog> & { triggeredMs?: number; storedDelayMs?: number } = {}): FakeAuditLog {
    const { triggeredMs = Date.now(), storedDelayMs = 50, ...rest } = fields;
    const uuid = rest.uuid ?? randomUUID();
    const e: FakeAuditLog = {
      imtId: `${triggeredMs}_audit.${uuid.replace(/-/g, '')}`,
      uuid,
      createdAt: new Date(triggeredMs + storedDelayMs).toISOString(),
      triggeredAt: new Date(triggeredMs).toISOString(),
      organizationId: this.api.organizationId,
      organization: { id: this.api.organizationId, name: `Organization ${this.api.organizationId}` },
      eventName: 'scenario_updated',
      team: { id: this.api.teamIds[0], name: `Team ${this.api.teamIds[0]}` },
      actor: { id: 5, name: 'Jane Doe', email: 'jane@example.com' },
      targetId: '1000',
      ...rest,
    };
    this.auditLogs.push(e);
    return e;
  }

  addIncompleteExecution(scenarioId: number, fields: Partial<FakeIncompleteExecution> = {}): FakeIncompleteExecution {
    this.api.requireScenario(scenarioId);
    const d: FakeIncompleteExecution = {
      id: randomBytes(16).toString('hex'),
      scenarioId,
      scenarioName: this.api.scenarios.get(scenarioId)!.name,
      companyId: this.api.organizationId,
      companyName: `Organization ${this.api.organizationId}`,
      reason: 'DataError: Validation failed for 1 parameter(s).',
      resolved: false,
      deleted: false,
      index: 1,
      created: new Date().toISOString(),
      executionId: randomBytes(16).toString('hex'),
      retry: false,
      attempts: 0,
      size: 512,
      ...fields,
    };
    const list = this.dlqs.get(scenarioId) ?? [];
    list.push(d);
    this.dlqs.set(scenarioId, list);
    return d;
  }

  /** Marks it resolved (Make keeps it listed), or removes it (`deleted`: retried away or deleted). */
  resolveIncompleteExecution(scenarioId: number, id: string, how: 'resolved' | 'deleted' = 'resolved'): void {
    const list = this.dlqs.get(scenarioId) ?? [];
    const d = list.find((x) => x.id === id);
    if (!d) throw new Error(`no incomplete execution ${id}`);
    if (how === 'deleted') list.splice(list.indexOf(d), 1);
    else d.resolved = true;
  }

  route(p: string, q: URLSearchParams): unknown {
    let m: RegExpExecArray | null;
    if ((m = /^\/audit-logs\/v2\/(organization|team)\/(\d+)$/.exec(p))) return this.listAuditLogs(m[1] as 'organization' | 'team', Number(m[2]), q);
    if (p === '/dlqs') return this.listDlqs(q);
    return undefined;
  }

  private listAuditLogs(kind: 'organization' | 'team', id: number, q: URLSearchParams): unknown {
    checkParams(q, AUDIT_PARAMS);
    if (kind === 'organization' && id !== this.api.organizationId) throw new ApiError(403, 'Access denied.', 'Organization not accessible.', 'SC403');
    if (kind === 'team' && !this.api.teamIds.includes(id)) throw new ApiError(403, 'Access denied.', 'Team not accessible.', 'SC403');
    if (!this.auditLogsLicensed) throw new ApiError(403, 'Forbidden', 'Your organization license does not include audit logs.', 'SC403');
    const from = dateParam(q, 'dateFrom');
    const to = dateParam(q, 'dateTo');
    const sortBy = q.get('pg[sortBy]') ?? 'triggeredAt';
    if (!['triggeredAt', 'createdAt', 'eventName', 'targetId'].includes(sortBy)) throw new ApiError(400, 'Invalid input.', `pg[sortBy] must be triggeredAt, createdAt, eventName or targetId, got '${sortBy}'.`, 'SC400');
    if (sortBy !== 'triggeredAt') throw new ApiError(400, 'Invalid input.', 'This fake sorts by triggeredAt only.', 'SC400');
    const sortDir = sortDirParam(q, 'asc');
    const limit = limitParam(q, 1000);
    const offset = optionalInt(q, 'pg[offset]') ?? 0;
    const last = q.get('pg[last]') ?? undefined;
    const stored = Date.now();
    let rows = this.auditLogs
      .filter((e) => Date.parse(e.createdAt) <= stored) // not yet stored: not listed
      .filter((e) => kind === 'organization' || e.team?.id === id)
      .filter((e) => {
        const ts = Date.parse(e.triggeredAt);
        return (from === undefined || ts >= from) && (to === undefined || ts <= to);
      })
      .sort((a, b) => cmp(a.triggeredAt, b.triggeredAt) || cmp(a.imtId, b.imtId));
    if (sortDir === 'desc') rows.reverse();
    if (last !== undefined) {
      const at = rows.findIndex((e) => e.imtId === last);
      if (at < 0) throw new ApiError(400, 'Invalid input.', `pg[last] '${last}' is not an entry of this listing.`, 'SC400');
      rows = rows.slice(at + 1);
    } else rows = rows.slice(offset);
    return { auditLogs: rows.slice(0, limit).map((e) => structuredClone(e)), pg: { sortBy, sortDir, limit, ...(last !== undefined ? { last } : { offset }) } };
  }

  private listDlqs(q: URLSearchParams): unknown {
    checkParams(q, DLQ_PARAMS);
    const scenarioId = optionalInt(q, 'scenarioId');
    if (scenarioId === undefined) throw new ApiError(400, 'Invalid input.', 'scenarioId is required.', 'SC400');
    this.api.requireScenario(scenarioId);
    const offset = optionalInt(q, 'pg[offset]') ?? 0;
    const limit = limitParam(q, 10_000);
    const rows = [...(this.dlqs.get(scenarioId) ?? [])].sort((a, b) => cmp(b.created, a.created) || cmp(a.id, b.id));
    return { dlqs: rows.slice(offset, offset + limit).map((d) => ({ ...d })), pg: { sortBy: 'created', sortDir: 'desc', limit, offset } };
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Audit log dates: an ISO 8601 date or date-time, or epoch milliseconds (Make's SDK docs). */
function dateParam(q: URLSearchParams, key: string): number | undefined {
  const v = q.get(key);
  if (v === null) return undefined;
  if (/^\d+$/.test(v)) return Number(v);
  const ms = /^\d{4}-\d{2}-\d{2}/.test(v) ? Date.parse(v) : NaN;
  if (Number.isNaN(ms)) throw new ApiError(400, 'Invalid input.', `${key} must be an ISO 8601 date or epoch milliseconds, got '${v}'.`, 'SC400');
  return ms;
}
