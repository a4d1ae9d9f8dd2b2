import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeMakeOperations } from './make-api-operations.js';

export type { FakeAuditLog, FakeIncompleteExecution } from './make-api-operations.js';

/**
 * A strict fake of the Make API v2 calls the `make` receiver uses (docs/make-receiver.md), with the
 * response shapes of Make's own SDK fixtures (integromat/make-typescript-sdk test/mocks): scenario
 * list, scenario logs (imtId cursor paging, newest first by default), one log, organization.
 * It refuses what Make refuses: a missing/wrong `Authorization: Token …` (401), unknown or invalid
 * query parameters (400), more requests than the organization's limit per window (429
 * "Requests limit for organization exceeded"). Tests add scenarios and executions while it runs.
 */

export interface FakeScenario {
  id: number;
  name: string;
  teamId: number;
  isActive: boolean;
}

export interface FakeExecution {
  imtId: string;
  duration: number;
  operations: number;
  centicredits: number;
  transfer: number;
  organizationId: number;
  teamId: number;
  id: string;
  type: 'auto' | 'manual';
  authorId: number | null;
  instant: boolean;
  timestamp: string;
  status: 0 | 1 | 2 | 3;
}

export interface FakeRequest {
  at: number;
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
}

export interface FakeMakeApiOptions {
  token: string;
  organizationId?: number;
  teamIds?: number[];
  /** organization.license.apiLimit; also the enforced limit per window. */
  apiLimit?: number;
  /** The window Make's limit applies to; a minute, shorter in tests that scale time down. */
  rateWindowMs?: number;
}

const LOGS_PARAMS = new Set(['from', 'to', 'status', 'pg[limit]', 'pg[last]', 'pg[showLast]', 'pg[sortDir]', 'pg[sortBy]', 'pg[offset]']);
const SCENARIOS_PARAMS = new Set(['teamId', 'organizationId', 'pg[offset]', 'pg[limit]', 'pg[sortBy]', 'pg[sortDir]', 'cols[]']);
const ORGANIZATION_PARAMS = new Set(['wait']);
const DEFAULT_LOGS_LIMIT = 50;
const DEFAULT_SCENARIOS_LIMIT = 10;
const MAX_LIMIT = 10_000;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly detail: string,
    readonly code: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export class FakeMakeApi {
  readonly requests: FakeRequest[] = [];
  readonly organizationId: number;
  readonly teamIds: number[];
  readonly scenarios = new Map<number, FakeScenario>();
  private readonly executions = new Map<number, FakeExecution[]>();
  private readonly failures = new Map<number, number>();
  /** Audit logs and incomplete executions (make-api-operations.ts). */
  readonly ops = new FakeMakeOperations(this);
  private readonly unsorted = new Set<number>();
  private pending429: { retryAfterSeconds?: number } | undefined;
  private server?: Server;
  private nextScenarioId = 1000;
  baseUrl = '';

  constructor(private readonly o: FakeMakeApiOptions) {
    this.organizationId = o.organizationId ?? 21;
    this.teamIds = o.teamIds ?? [27];
  }

  /** Executions kept sorted by imtId per scenario, so a logs page is a slice, not a sort. */
  private sorted(scenarioId: number): FakeExecution[] {
    const list = this.executions.get(scenarioId)!;
    if (this.unsorted.delete(scenarioId)) list.sort((a, b) => (a.imtId < b.imtId ? -1 : a.imtId > b.imtId ? 1 : 0));
    return list;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}/api/v2`;
    return this.baseUrl;
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((resolve) => { s.close(() => resolve()); s.closeAllConnections(); });
  }

  addScenario(fields: Partial<FakeScenario> = {}): FakeScenario {
    const id = fields.id ?? this.nextScenarioId++;
    const s: FakeScenario = { id, name: `Scenario ${id}`, teamId: this.teamIds[0], isActive: true, ...fields };
    this.scenarios.set(id, s);
    if (!this.executions.has(id)) this.executions.set(id, []);
    return s;
  }

  removeScenario(id: number): void {
    this.scenarios.delete(id);
  }

  /** An execution of a scenario starting at `startMs` (default now), finished unless status 0. */
  addExecution(scenarioId: number, fields: Partial<FakeExecution> & { startMs?: number } = {}): FakeExecution {
    const s = this.scenarios.get(scenarioId);
    if (!s) throw new Error(`no scenario ${scenarioId}`);
    const { startMs = Date.now(), ...rest } = fields;
    const id = rest.id ?? randomBytes(16).toString('hex');
    const type = rest.type ?? 'auto';
    const e: FakeExecution = {
      imtId: `${startMs}_scenario.${scenarioId}.${type}.${id}`,
      duration: 1234,
      operations: 3,
      centicredits: 300,
      transfer: 2048,
      organizationId: this.organizationId,
      teamId: s.teamId,
      id,
      type,
      authorId: type === 'manual' ? 5 : null,
      instant: false,
      timestamp: new Date(startMs).toISOString(),
      status: 1,
      ...rest,
    };
    this.executions.get(scenarioId)!.push(e);
    this.unsorted.add(scenarioId);
    return e;
  }

  /**
   * Deterministic history for range tests: `scenarios` scenarios, each with an execution every
   * `everyMs` over `days` days ending at `endMs`, statuses cycling success, warning, error (with a
   * per-scenario offset, so every scenario has all three). Ids are derived from (scenario, time).
   */
  seedHistory(o: { scenarios: number; days: number; everyMs: number; endMs: number; firstScenarioId?: number }): FakeScenario[] {
    const out: FakeScenario[] = [];
    const statuses = [1, 2, 3] as const;
    for (let i = 0; i < o.scenarios; i++) {
      const s = this.addScenario({ id: (o.firstScenarioId ?? 100) + i, name: `Scenario ${i + 1}, "quoted"` });
      out.push(s);
      let n = i;
      for (let t = o.endMs - o.days * 86_400_000 + (i * 7_919) % o.everyMs; t < o.endMs; t += o.everyMs, n++) {
        const id = createHash('md5').update(`${s.id}:${t}`).digest('hex');
        this.addExecution(s.id, { startMs: t, id, status: statuses[n % 3], duration: 100 + (n % 50) * 10, operations: 1 + (n % 7), centicredits: 100 * (1 + (n % 7)) });
      }
    }
    return out;
  }

  /** Every execution held, across scenarios (tests compute what a range should return). */
  allExecutions(): (FakeExecution & { scenarioId: number })[] {
    return [...this.executions.entries()].flatMap(([scenarioId, list]) => list.map((e) => ({ ...e, scenarioId })));
  }

  updateExecution(scenarioId: number, id: string, fields: Partial<FakeExecution>): void {
    const e = this.executions.get(scenarioId)?.find((x) => x.id === id);
    if (!e) throw new Error(`no execution ${id}`);
    Object.assign(e, fields);
    this.unsorted.add(scenarioId);
  }

  /** The next request (of any kind) gets 429; with Retry-After when given. */
  failNextWith429(retryAfterSeconds?: number): void {
    this.pending429 = { retryAfterSeconds };
  }

  /** Every logs request of this scenario answers `status` (401/403/500), until cleared with undefined. */
  failScenarioLogs(scenarioId: number, status: number | undefined): void {
    if (status === undefined) this.failures.delete(scenarioId);
    else this.failures.set(scenarioId, status);
  }

  /** The most requests that arrived within any `windowMs` (sliding). */
  maxRequestsInWindow(windowMs = this.o.rateWindowMs ?? 60_000): number {
    const times = this.requests.map((r) => r.at).sort((a, b) => a - b);
    let best = 0;
    for (let i = 0, j = 0; j < times.length; j++) {
      while (times[j] - times[i] >= windowMs) i++;
      best = Math.max(best, j - i + 1);
    }
    return best;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const record: FakeRequest = { at: performance.now(), method: req.method ?? '', path: url.pathname, query: Object.fromEntries(url.searchParams), status: 0 };
    this.requests.push(record);
    let status = 200;
    let body: unknown;
    let headers: Record<string, string> = {};
    try {
      body = this.route(req, url);
    } catch (err) {
      const e = err instanceof ApiError ? err : new ApiError(500, 'Internal Server Error', String(err), 'SC500');
      status = e.status;
      headers = e.headers;
      body = { detail: e.detail, message: e.message, code: e.code };
    }
    record.status = status;
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(text);
  }

  private route(req: IncomingMessage, url: URL): unknown {
    if (req.headers.authorization !== `Token ${this.o.token}`) throw new ApiError(401, 'Access denied.', 'Invalid access token.', 'SC401');
    this.enforceRateLimit();
    if (req.method !== 'GET') throw new ApiError(405, 'Method not allowed', `${req.method} is not supported here.`, 'SC405');
    const p = url.pathname.replace(/^\/api\/v2/, '');
    let m: RegExpExecArray | null;
    if (p === '/scenarios') return this.listScenarios(url.searchParams);
    if ((m = /^\/scenarios\/(\d+)\/logs$/.exec(p))) return this.listLogs(Number(m[1]), url.searchParams);
    if ((m = /^\/scenarios\/(\d+)\/logs\/([0-9a-f]{32})$/.exec(p))) return this.getLog(Number(m[1]), m[2], url.searchParams);
    if ((m = /^\/organizations\/(\d+)$/.exec(p))) return this.getOrganization(Number(m[1]), url.searchParams);
    const operations = this.ops.route(p, url.searchParams);
    if (operations !== undefined) return operations;
    throw new ApiError(404, 'Not found', `No route for ${p}.`, 'SC404');
  }

  private enforceRateLimit(): void {
    if (this.pending429) {
      const { retryAfterSeconds } = this.pending429;
      this.pending429 = undefined;
      throw this.rateLimited(retryAfterSeconds);
    }
    const limit = this.o.apiLimit;
    if (limit === undefined) return;
    const windowMs = this.o.rateWindowMs ?? 60_000;
    const now = performance.now();
    const inWindow = this.requests.filter((r) => now - r.at < windowMs).length;
    if (inWindow > limit) throw this.rateLimited(Math.ceil(windowMs / 1000));
  }

  private rateLimited(retryAfterSeconds?: number): ApiError {
    const headers: Record<string, string> = retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) };
    return new ApiError(429, 'Requests limit for organization exceeded', 'Too many requests. Please retry later.', 'SC429', headers);
  }

  private listScenarios(q: URLSearchParams): unknown {
    checkParams(q, SCENARIOS_PARAMS);
    const teamId = optionalInt(q, 'teamId');
    const organizationId = optionalInt(q, 'organizationId');
    if ((teamId === undefined) === (organizationId === undefined)) {
      throw new ApiError(400, 'Invalid input.', 'Exactly one of teamId or organizationId is required.', 'SC400');
    }
    if (organizationId !== undefined && organizationId !== this.organizationId) throw new ApiError(403, 'Access denied.', 'Organization not accessible.', 'SC403');
    if (teamId !== undefined && !this.teamIds.includes(teamId)) throw new ApiError(403, 'Access denied.', 'Team not accessible.', 'SC403');
    const offset = optionalInt(q, 'pg[offset]') ?? 0;
    const limit = limitParam(q, DEFAULT_SCENARIOS_LIMIT);
    const sortDir = sortDirParam(q, 'desc');
    const all = [...this.scenarios.values()].filter((s) => teamId === undefined || s.teamId === teamId).sort((a, b) => (sortDir === 'asc' ? a.id - b.id : b.id - a.id));
    return {
      scenarios: all.slice(offset, offset + limit).map(scenarioBody),
      pg: { sortBy: q.get('pg[sortBy]') ?? 'proprietal', limit, sortDir, offset, returnTotalCount: false },
    };
  }

  private listLogs(scenarioId: number, q: URLSearchParams): unknown {
    checkParams(q, LOGS_PARAMS);
    this.requireScenario(scenarioId);
    const failure = this.failures.get(scenarioId);
    if (failure !== undefined) throw new ApiError(failure, failure === 401 ? 'Access denied.' : failure === 403 ? 'Forbidden.' : 'Internal Server Error', 'Injected by the test.', `SC${failure}`);
    const from = optionalInt(q, 'from');
    const to = optionalInt(q, 'to');
    const status = optionalInt(q, 'status');
    if (status !== undefined && ![1, 2, 3].includes(status)) throw new ApiError(400, 'Invalid input.', 'status must be 1, 2 or 3.', 'SC400');
    const limit = limitParam(q, DEFAULT_LOGS_LIMIT);
    const offset = optionalInt(q, 'pg[offset]') ?? 0;
    const sortDir = sortDirParam(q, 'desc');
    const sortBy = q.get('pg[sortBy]') ?? 'imtId';
    if (sortBy !== 'imtId') throw new ApiError(400, 'Invalid input.', 'pg[sortBy] must be imtId.', 'SC400');
    const last = q.get('pg[last]') ?? undefined;
    const showLastText = q.get('pg[showLast]');
    if (showLastText !== null && showLastText !== 'true' && showLastText !== 'false') throw new ApiError(400, 'Invalid input.', 'pg[showLast] must be a boolean.', 'SC400');
    const showLast = showLastText === 'true';
    let rows = this.sorted(scenarioId).filter((e) => {
      const ts = Date.parse(e.timestamp);
      return (from === undefined || ts >= from) && (to === undefined || ts <= to) && (status === undefined || e.status === status);
    });
    if (sortDir === 'desc') rows.reverse();
    if (last !== undefined) {
      rows = rows.filter((e) => (sortDir === 'asc' ? e.imtId > last : e.imtId < last) || (showLast && e.imtId === last));
    }
    const page = rows.slice(offset, offset + limit);
    return { scenarioLogs: page.map((e) => ({ ...e })), pg: { sortBy: 'imtId', sortDir, ...(last !== undefined ? { last } : {}), showLast, limit } };
  }

  private getLog(scenarioId: number, executionId: string, q: URLSearchParams): unknown {
    checkParams(q, new Set());
    this.requireScenario(scenarioId);
    const e = this.executions.get(scenarioId)!.find((x) => x.id === executionId);
    if (!e) throw new ApiError(404, 'Not found', 'Execution not found.', 'SC404');
    return { scenarioLog: { ...e } };
  }

  private getOrganization(id: number, q: URLSearchParams): unknown {
    checkParams(q, ORGANIZATION_PARAMS);
    if (id !== this.organizationId) throw new ApiError(404, 'Not found', 'Organization not found.', 'SC404');
    const license: Record<string, unknown> = { dslimit: 40, fslimit: 2147483648, iolimit: 10000, dsslimit: 524288000, interval: 1, transfer: 1099511627776, operations: 800000000 };
    if (this.o.apiLimit !== undefined) license.apiLimit = this.o.apiLimit;
    return {
      organization: {
        id, name: `Organization ${id}`, serviceName: 'teams', isPaused: false, countryId: 1, timezoneId: 113, zone: 'eu1.make.com', license, features: {},
        teams: this.teamIds.map((t) => ({ id: t, name: `Team ${t}` })),
      },
    };
  }

  /** 404 unless the scenario exists. */
  requireScenario(id: number): void {
    if (!this.scenarios.has(id)) throw new ApiError(404, 'Not found', `Scenario ${id} not found.`, 'SC404');
  }
}

function scenarioBody(s: FakeScenario): unknown {
  return {
    id: s.id, name: s.name, teamId: s.teamId, hookId: null, deviceId: null, deviceScope: null, concept: false, description: '', folderId: null,
    isinvalid: false, islinked: true, isActive: s.isActive, islocked: false, isPaused: false, usedPackages: ['util'], lastEdit: '2026-01-01T00:00:00.000Z',
    scheduling: { type: 'indefinitely', interval: 900 }, iswaiting: false, dlqCount: 0, nextExec: null, operations: 0, transfer: 0,
  };
}

export function checkParams(q: URLSearchParams, allowed: Set<string>): void {
  for (const key of q.keys()) {
    if (!allowed.has(key)) throw new ApiError(400, 'Invalid input.', `Unknown parameter '${key}'.`, 'SC400');
  }
}

export function optionalInt(q: URLSearchParams, key: string): number | undefined {
  const v = q.get(key);
  if (v === null) return undefined;
  if (!/^\d+$/.test(v)) throw new ApiError(400, 'Invalid input.', `${key} must be a non-negative integer, got '${v}'.`, 'SC400');
  return Number(v);
}

export function limitParam(q: URLSearchParams, dflt: number): number {
  const limit = optionalInt(q, 'pg[limit]') ?? dflt;
  if (limit < 1 || limit > MAX_LIMIT) throw new ApiError(400, 'Invalid input.', `pg[limit] must be between 1 and ${MAX_LIMIT}.`, 'SC400');
  return limit;
}

export function sortDirParam(q: URLSearchParams, dflt: 'asc' | 'desc'): 'asc' | 'desc' {
  const v = q.get('pg[sortDir]') ?? dflt;
  if (v !== 'asc' && v !== 'desc') throw new ApiError(400, 'Invalid input.', `pg[sortDir] must be asc or desc, got '${v}'.`, 'SC400');
  return v;
}

