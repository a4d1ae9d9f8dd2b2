/**
 * Polls Make's scenario logs and hands each execution downstream exactly once.
 *
 * Design ("no gaps, no repeats"):
 * - Make lists an execution under its *start* time (`timestamp`, the epoch-ms prefix of `imtId`),
 *   but only once it has finished. A run that started before our last poll can therefore appear
 *   after it, older than executions we already delivered. A cursor that is just "newest timestamp
 *   seen" loses those runs.
 * - So each scenario keeps a cursor `{from, seen}` (cursor.ts): `from` trails the present by the
 *   late-arrival window (Make's 40-minute maximum run time plus margin), and `seen` holds the ids
 *   delivered since `from`. Every poll asks for `from`..now in ascending imtId order, paging with
 *   `pg[last]` (an imtId, stable under inserts, unlike an offset), and delivers what `seen` lacks.
 * - Pending runs (status 0) inside the window are not delivered: they come back finished. One stuck
 *   past the window is delivered as pending so that nothing is lost.
 * - A page is consumed, and only after `consume` resolved (durably queued downstream) is the cursor
 *   written to storage. A crash between the two repeats that one page (at-least-once); a crash
 *   anywhere else repeats nothing. A refused consume leaves the cursor as it was; the next poll
 *   reads the same executions again.
 * - `from` moves to min(last start time listed, now − window) − 1 after each page, so a long
 *   backlog drain keeps `seen` small and a restart resumes where the last committed page ended.
 * Cost: every poll re-reads the last window of each scenario (one page unless a scenario runs more
 * than PAGE_LIMIT times in 45 minutes); that is the price of not losing late runs.
 */
import { isPermanent, isRetryable } from '../../errors.js';
import type { LogsConsumer } from '../../pipeline/component.js';
import type { StorageClient } from '../../extensions/storage.js';
import type { Logger } from '../../telemetry/logger.js';
import type { Telemetry } from '../../telemetry/telemetry.js';
import { ReceiverObsreport } from '../helper/obsreport.js';
import { MakeApiError, type MakeApiClient } from './api-client.js';
import { advanceCursor, initialCursor, parseCursor, sameCursor, selectUndelivered, serializeCursor, type ScenarioCursor } from './cursor.js';
import { executionTimeMs, executionsToLogs, type MakeExecution, type ResourceContext } from './mapping.js';
import { listScenarios, type MakeScenario, type ScenarioSource } from './scenarios.js';

/** Executions per logs page; few requests per poll without huge responses. */
export const PAGE_LIMIT = 100;
/** Longest a scenario waits after repeated downstream refusals. */
export const CONSUME_BACKOFF_MAX_MS = 10 * 60_000;

export interface PollerOptions {
  receiverId: string;
  client: MakeApiClient;
  source: ScenarioSource;
  scenarioFilter?: readonly number[];
  organizationId?: number;
  resource: ResourceContext;
  lookbackMs: number;
  pollIntervalMs: number;
  storage: StorageClient;
  next: LogsConsumer;
  telemetry: Telemetry;
  logger: Logger;
  now?: () => number;
  /** Told the scenario list after each refresh (the webhook names scenarios from it). */
  onScenarios?: (scenarios: MakeScenario[]) => void;
}

interface LogsPage {
  executions: MakeExecution[];
  last?: string;
  lastStartMs?: number;
}

interface ScenarioState {
  scenario: MakeScenario;
  cursor?: ScenarioCursor;
  consecutiveFailures: number;
  notBefore: number;
}

export class ScenarioPoller {
  private readonly scenarios = new Map<number, ScenarioState>();
  private readonly now: () => number;
  private readonly reportedMissing = new Set<number>();
  private readonly obs: ReceiverObsreport;

  constructor(private readonly o: PollerOptions) {
    this.obs = new ReceiverObsreport(o.telemetry, o.receiverId, 'poll');
    this.now = o.now ?? Date.now;
  }

  /** The scenarios polled now (after the last refresh). */
  polledScenarios(): MakeScenario[] {
    return [...this.scenarios.values()].map((s) => s.scenario);
  }

  /** One pass: refresh the scenario list, then drain each scenario's new executions. */
  async pass(signal: AbortSignal): Promise<void> {
    await this.refreshScenarios(signal);
    for (const state of [...this.scenarios.values()]) {
      if (signal.aborted) return;
      if (state.notBefore > this.now()) continue;
      await this.pollScenario(state, signal);
    }
  }

  private async refreshScenarios(signal: AbortSignal): Promise<void> {
    let listed: MakeScenario[];
    try {
      listed = await listScenarios(this.o.client, this.o.source, signal);
    } catch (err) {
      if (signal.aborted) return;
      this.warnApiFailure('listing scenarios failed; polling the scenarios known so far', err);
      return;
    }
    const wanted = this.o.scenarioFilter ? new Set(this.o.scenarioFilter) : undefined;
    this.o.onScenarios?.(listed);
    const current = new Map(listed.filter((s) => !wanted || wanted.has(s.id)).map((s) => [s.id, s]));
    for (const id of wanted ?? []) {
      if (!current.has(id) && !this.reportedMissing.has(id)) {
        this.reportedMissing.add(id);
        this.o.logger.warn('configured Make scenario not found in the team/organization', { scenario_id: id });
      }
    }
    for (const id of this.scenarios.keys()) {
      if (current.has(id)) continue;
      // Deleted (or moved away): stop polling. Its cursor stays stored in case it comes back.
      this.scenarios.delete(id);
      this.o.telemetry.makePollLag.remove({ receiver: this.o.receiverId, scenario_id: String(id) });
    }
    for (const [id, scenario] of current) {
      const state = this.scenarios.get(id);
      if (state) state.scenario = scenario;
      else this.scenarios.set(id, { scenario, consecutiveFailures: 0, notBefore: 0 });
    }
  }

  private async pollScenario(state: ScenarioState, signal: AbortSignal): Promise<void> {
    const id = state.scenario.id;
    const passStart = this.now();
    try {
      let cursor = state.cursor ?? (await this.loadCursor(id, passStart));
      state.cursor = cursor;
      let last: string | undefined;
      for (;;) {
        const page = await this.fetchPage(id, cursor.from, passStart, last, signal);
        const undelivered = selectUndelivered(cursor, page.executions, passStart);
        if (undelivered.length > 0) await this.deliver(state, undelivered, signal);
        const complete = page.last === undefined;
        const coveredUpTo = complete ? passStart : (page.lastStartMs ?? cursor.from);
        const advanced = advanceCursor(cursor, undelivered, coveredUpTo, passStart);
        if (!sameCursor(advanced, cursor)) await this.saveCursor(id, advanced);
        cursor = advanced;
        state.cursor = cursor;
        if (complete) break;
        last = page.last;
      }
      state.consecutiveFailures = 0;
      if (cursor.newest !== undefined) {
        this.o.telemetry.makePollLag.set({ receiver: this.o.receiverId, scenario_id: String(id) }, Math.max(0, this.now() - cursor.newest) / 1000);
      }
    } catch (err) {
      if (signal.aborted) return;
      this.onScenarioFailure(state, err);
    }
  }

  /** One ascending page; `last` is set (the imtId to continue after) when the page was full. */
  private async fetchPage(id: number, from: number, to: number, last: string | undefined, signal: AbortSignal): Promise<LogsPage> {
    const path = `/scenarios/${id}/logs`;
    const body = await this.o.client.get<{ scenarioLogs?: unknown }>(
      path,
      { from, to, 'pg[sortDir]': 'asc', 'pg[limit]': PAGE_LIMIT, 'pg[last]': last },
      signal,
    );
    if (!Array.isArray(body.scenarioLogs)) throw new MakeApiError(path, 200, 'answered without a scenarioLogs array');
    const raw = body.scenarioLogs as Partial<MakeExecution>[];
    const executions = raw.filter((e): e is MakeExecution => !!e && typeof e.id === 'string' && typeof e.imtId === 'string');
    const tail = raw[raw.length - 1];
    if (raw.length < PAGE_LIMIT || typeof tail?.imtId !== 'string') return { executions };
    return { executions, last: tail.imtId, lastStartMs: executionTimeMs(tail as MakeExecution) };
  }

  private async deliver(state: ScenarioState, executions: MakeExecution[], signal: AbortSignal): Promise<void> {
    const s = state.scenario;
    const organizationId = this.o.organizationId ?? executions.find((e) => typeof e.organizationId === 'number')?.organizationId;
    const logs = executionsToLogs(this.o.resource, { id: s.id, name: s.name, teamId: s.teamId, organizationId }, executions, this.now());
    const labels = { receiver: this.o.receiverId, scenario_id: String(s.id) };
    try {
      await this.obs.track(executions.length, () => this.o.next.consume(logs));
    } catch (err) {
      if (!isPermanent(err) || signal.aborted) throw err;
      // The pipeline will never take these; holding the cursor would stall the scenario forever.
      this.o.logger.error('downstream permanently refused Make executions; skipping them', { scenario_id: s.id, count: executions.length, error: (err as Error).message });
      return;
    }
    this.o.telemetry.makeExecutions.inc(labels, executions.length);
    const errors = executions.filter((e) => e.status === 3).length;
    if (errors > 0) this.o.telemetry.makeExecutionErrors.inc(labels, errors);
  }

  private onScenarioFailure(state: ScenarioState, err: unknown): void {
    const id = state.scenario.id;
    state.consecutiveFailures++;
    if (err instanceof MakeApiError) {
      this.warnApiFailure('polling scenario logs failed; retrying next poll', err, id);
      return;
    }
    // Downstream refused, or the cursor could not be stored: the cursor stays where it was and the
    // scenario backs off by whole poll intervals (the first retry is the next poll).
    const retryAfterMs = isRetryable(err) ? (err.retryAfterMs ?? 0) : 0;
    const backoffMs = Math.min(this.o.pollIntervalMs * (2 ** (state.consecutiveFailures - 1) - 1), CONSUME_BACKOFF_MAX_MS);
    const waitMs = Math.max(retryAfterMs, backoffMs);
    state.notBefore = this.now() + waitMs;
    const what = err instanceof StorageWriteError ? 'storing the Make cursor failed' : 'downstream refused Make executions';
    this.o.logger.warn(`${what}; cursor kept, retrying later`, {
      scenario_id: id,
      retry_in_ms: waitMs,
      error: err instanceof Error ? err.message : String(err),
    });
  }

  private warnApiFailure(what: string, err: unknown, scenarioId?: number): void {
    const e = err instanceof MakeApiError ? err : undefined;
    const hint = e?.isAuthFailure ? ' (check api_token and its scenarios:read scope)' : '';
    this.o.logger.warn(`Make API: ${what}${hint}`, {
      scenario_id: scenarioId,
      status: e ? String(e.status) : undefined,
      error: err instanceof Error ? err.message : String(err),
    });
  }

  private async saveCursor(id: number, c: ScenarioCursor): Promise<void> {
    try {
      await this.o.storage.set(cursorKey(id), serializeCursor(c));
    } catch (err) {
      throw new StorageWriteError(err);
    }
  }

  private async loadCursor(id: number, nowMs: number): Promise<ScenarioCursor> {
    const text = await this.o.storage.get(cursorKey(id));
    if (text === undefined) return initialCursor(nowMs, this.o.lookbackMs);
    const parsed = parseCursor(text);
    if (parsed) return parsed;
    this.o.logger.warn('stored Make cursor unreadable; starting from initial_lookback', { scenario_id: id });
    return initialCursor(nowMs, this.o.lookbackMs);
  }
}

class StorageWriteError extends Error {
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

export function cursorKey(scenarioId: number): string {
  return `scenario/${scenarioId}/cursor`;
}
