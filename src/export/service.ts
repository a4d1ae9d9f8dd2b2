import { join } from 'node:path';
import { GatewayError } from '../errors.js';
import { listScenarios, type MakeScenario } from '../receivers/make/scenarios.js';
import type { ExportEngine } from './engine.js';
import { exportSpecSchema, jobIdFor, type ExportSpec, type ExportSpecInput, type JobInfo } from './job.js';
import type { MakeSource } from './make-source.js';
import { readPage } from './range-reader.js';
import { summarize, type ScenarioSummary } from './summary.js';

/**
 * The service layer over the engine that the MCP tools (and any other door) call: a request in
 * the tools' vocabulary becomes a job, runs in the background, and is waited for up to a bound.
 */

/** The MCP tool waits at most this long by default; the job goes on afterwards. */
export const MAX_WAIT_MS = 60_000;

export type ExportRequest = Omit<ExportSpecInput, 'destination'> & { destination?: { type: 'file'; directory?: string } | { type: 'exporter'; exporter: string } };

export interface ExportServiceOptions {
  engine: ExportEngine;
  source(receiverId: string, signal: AbortSignal): Promise<MakeSource>;
  /** Default make receiver id. */
  receiver: string;
  /** Where file exports go when no directory is given: `<dir>/<job id>/`. */
  defaultDirectory: string;
}

export class ExportService {
  private readonly inFlight = new Map<string, Promise<JobInfo>>();
  private readonly stop = new AbortController();

  constructor(private readonly o: ExportServiceOptions) {}

  /** Creates (or finds) the job, starts it in the background, waits up to `waitMs` for its end. */
  async startExport(req: Omit<ExportRequest, 'receiver'> & { receiver?: string }, waitMs = MAX_WAIT_MS): Promise<JobInfo> {
    const spec = this.resolveSpec(req);
    const job = this.o.engine.submit(spec);
    const run = this.runInBackground(job.id);
    if (waitMs <= 0) return this.status(job.id);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), Math.min(waitMs, MAX_WAIT_MS))));
    const done = await Promise.race([run, timeout]);
    clearTimeout(timer);
    return done ?? this.status(job.id);
  }

  status(id: string): JobInfo {
    const job = this.o.engine.store.get(id);
    if (!job) throw new GatewayError('EXPORT_FAILED', `no export job ${id}`);
    return job;
  }

  list(limit = 20): JobInfo[] {
    return this.o.engine.store.list(limit);
  }

  cancel(id: string): JobInfo {
    this.status(id);
    this.o.engine.cancel(id);
    return this.status(id);
  }

  async scenarios(teamId?: number): Promise<MakeScenario[]> {
    const source = await this.o.source(this.o.receiver, this.stop.signal);
    return listScenarios(source.client, teamId !== undefined ? { teamId } : source.scenarioSource, this.stop.signal);
  }

  /** Counts by status, operations, centicredits, p50/p95 duration per scenario over the range. */
  async summarizeExecutions(range: { fromMs: number; toMs: number }, scenarioIds?: number[]): Promise<ScenarioSummary[]> {
    const source = await this.o.source(this.o.receiver, this.stop.signal);
    const listed = await listScenarios(source.client, source.scenarioSource, this.stop.signal);
    const byId = new Map(listed.map((s) => [s.id, s]));
    const ids = scenarioIds ?? source.scenarios ?? listed.map((s) => s.id);
    const unknown = ids.filter((id) => !byId.has(id));
    if (unknown.length) throw new GatewayError('EXPORT_FAILED', `unknown scenario${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`);
    const out: ScenarioSummary[] = [];
    for (const id of [...new Set(ids)].sort((a, b) => a - b)) {
      const executions = [];
      let after: string | undefined;
      do {
        const page = await readPage(source.client, id, range, after, undefined, this.stop.signal);
        executions.push(...page.executions);
        after = page.next;
      } while (after);
      out.push(summarize(byId.get(id)!, executions));
    }
    return out;
  }

  /** Stops background jobs (they stay resumable) and waits for them. */
  async close(): Promise<void> {
    this.stop.abort(new Error('shutting down'));
    await Promise.allSettled([...this.inFlight.values()]);
  }

  private resolveSpec(req: Omit<ExportRequest, 'receiver'> & { receiver?: string }): ExportSpec {
    const dest = req.destination ?? { type: 'file' as const };
    const base = { ...req, receiver: req.receiver ?? this.o.receiver };
    if (dest.type === 'exporter') return parseSpec({ ...base, destination: dest });
    if (dest.directory) return parseSpec({ ...base, destination: { type: 'file', directory: dest.directory } });
    // The default directory is named after the job, whose id is the spec's without a directory.
    const id = jobIdFor(parseSpec({ ...base, destination: { type: 'file', directory: '-' } }));
    return parseSpec({ ...base, destination: { type: 'file', directory: join(this.o.defaultDirectory, id) } });
  }

  private runInBackground(id: string): Promise<JobInfo> {
    const run = this.o.engine.run(id, this.stop.signal);
    this.inFlight.set(id, run);
    void run.finally(() => this.inFlight.delete(id)).catch(() => undefined);
    return run;
  }
}

function parseSpec(input: unknown): ExportSpec {
  const r = exportSpecSchema.safeParse(input);
  if (!r.success) throw new GatewayError('EXPORT_FAILED', r.error.issues.map((i) => `${i.path.join('.') || 'request'}: ${i.message}`).join('; '));
  return r.data;
}
