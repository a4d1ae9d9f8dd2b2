import { GatewayError } from '../errors.js';
import type { Logs } from '../pdata/model.js';
import type { CreateSettings, LogsConsumer } from '../pipeline/component.js';
import { MakeApiError } from '../receivers/make/api-client.js';
import { executionTimeMs, executionsToLogs } from '../receivers/make/mapping.js';
import { listScenarios } from '../receivers/make/scenarios.js';
import { redact } from '../telemetry/secrets.js';
import { ChunkWriter } from './chunk-writer.js';
import { DEFAULT_FIELDS, parseColumns, type Column } from './columns.js';
import { jobIdFor, type Checkpoint, type ExportFile, type ExportSpec, type JobInfo } from './job.js';
import type { JobStore } from '../queue/job-store.js';
import type { MakeSource } from './make-source.js';
import { writeManifest } from './manifest.js';
import { readPage } from './range-reader.js';
import { RecordShaper } from './record-shaper.js';
import { stageLines, type RecordItem } from './writers/stage.js';

/**
 * The export engine: the one implementation behind `make-otel-gateway export`, the `make_exports`
 * schedules and the MCP tools. A run reads each selected scenario's range page by page; each page
 * is mapped (the receiver's mapping), selected and shaped (OTTL), written (staging file, fsync'd,
 * or the destination exporter's durable queue), and only then committed as the job's checkpoint.
 * A crash repeats at most the page in flight; a file destination never shows the repeat, because
 * staging is truncated back to the committed length (chunk-writer.ts).
 */

const STATUS_CODES = { success: 1, warning: 2, error: 3 } as const;

export interface EngineOptions {
  store: JobStore;
  settings: CreateSettings;
  /** The Make API access of a make receiver. */
  source(receiverId: string, signal: AbortSignal): Promise<MakeSource>;
  /** The consumer (durable queue) of a configured exporter, for `destination.type = exporter`. */
  exporter?(id: string): Promise<LogsConsumer>;
  /** Told after every committed page. */
  onProgress?(job: JobInfo): void;
  now?(): number;
}

export class ExportEngine {
  private readonly running = new Map<string, AbortController>();
  private readonly inFlight = new Map<string, Promise<JobInfo>>();

  constructor(private readonly o: EngineOptions) {}

  get store(): JobStore {
    return this.o.store;
  }

  /** Creates the job of this spec, or finds the one created before (same spec, same id). */
  submit(spec: ExportSpec): JobInfo {
    return this.o.store.create(jobIdFor(spec), spec);
  }

  /** Cancels a queued or running job (in this process or another); false when it had finished. */
  cancel(id: string): boolean {
    const done = this.o.store.cancel(id);
    this.running.get(id)?.abort(new Error('cancelled'));
    return done;
  }

  /**
   * Runs or resumes a job to its end and returns it; a finished job is returned as it is. A job
   * already running in this process is not started twice: the caller shares its run.
   */
  run(id: string, signal?: AbortSignal): Promise<JobInfo> {
    let run = this.inFlight.get(id);
    if (!run) {
      run = this.runOnce(id, signal).finally(() => this.inFlight.delete(id));
      this.inFlight.set(id, run);
    }
    return run;
  }

  private async runOnce(id: string, signal?: AbortSignal): Promise<JobInfo> {
    const job = this.o.store.get(id);
    if (!job) throw new GatewayError('CONFIG_INVALID', `no export job ${id}`);
    if (job.state === 'succeeded') return job;
    if (!this.o.store.claim(id)) throw new GatewayError('EXPORT_FAILED', `export job ${id} is running in another process (pid ${job.ownerPid})`);
    const controller = new AbortController();
    this.running.set(id, controller);
    const abort = signal ? AbortSignal.any([signal, controller.signal]) : controller.signal;
    try {
      await this.execute(id, job.spec, job.checkpoint, abort);
      if (this.o.store.state(id) === 'cancelled') return this.finish(id, 'cancelled');
      return this.finish(id, 'succeeded');
    } catch (err) {
      if (this.o.store.state(id) === 'cancelled') return this.finish(id, 'cancelled');
      return this.finish(id, 'failed', describe(err, abort));
    } finally {
      this.running.delete(id);
    }
  }

  private finish(id: string, state: 'succeeded' | 'failed' | 'cancelled', error?: string): JobInfo {
    this.o.store.finish(id, state, error);
    const job = this.o.store.get(id)!;
    this.o.onProgress?.(job);
    return job;
  }

  private async execute(id: string, spec: ExportSpec, saved: Checkpoint | undefined, signal: AbortSignal): Promise<void> {
    const { store, settings } = this.o;
    const now = this.o.now ?? Date.now;
    const source = await this.o.source(spec.receiver, signal);
    const shaper = new RecordShaper(settings, spec.where, spec.statements);
    const columns = flatColumns(spec);
    const cp: Checkpoint = saved ?? { scenarios: await this.selectScenarios(spec, source, signal), scenarioIndex: 0, chunkSeq: 1, chunkRecords: 0, stagingBytes: 0 };
    const progress = store.get(id)!.progress;
    progress.scenariosTotal = cp.scenarios.length;
    progress.scenariosDone = cp.scenarioIndex;
    const dest = spec.destination;
    const writer = dest.type === 'file' ? new ChunkWriter(dest.directory, id, spec, columns, { seq: cp.chunkSeq, records: cp.chunkRecords, stagingBytes: cp.stagingBytes }) : undefined;
    const exporter = dest.type === 'exporter' ? await this.exporterOf(dest.exporter) : undefined;
    const wanted = spec.statuses?.length ? new Set<number>(spec.statuses.map((s) => STATUS_CODES[s])) : undefined;
    const apiStatus = wanted?.size === 1 ? [...wanted][0] : undefined;
    const commit = (files: (ExportFile & { seq: number })[] = []) => {
      if (writer) Object.assign(cp, { chunkSeq: writer.position.seq, chunkRecords: writer.position.records, stagingBytes: writer.position.stagingBytes });
      store.commit(id, cp, progress, files);
      this.o.onProgress?.(store.get(id)!);
    };
    if (!saved) commit();
    try {
      while (cp.scenarioIndex < cp.scenarios.length) {
        const scenario = cp.scenarios[cp.scenarioIndex];
        for (;;) {
          if (signal.aborted || store.state(id) === 'cancelled') return;
          const page = await readPage(source.client, scenario.id, spec, cp.last, apiStatus, signal);
          const executions = wanted ? page.executions.filter((e) => wanted.has(e.status)) : page.executions;
          const files: (ExportFile & { seq: number })[] = [];
          if (executions.length > 0) {
            const organizationId = source.organizationId ?? executions.find((e) => typeof e.organizationId === 'number')?.organizationId;
            const logs = executionsToLogs(source.resource, { ...scenario, organizationId }, executions, now());
            const shaped = await shaper.apply(logs);
            if (shaped) {
              const items = recordItems(shaped);
              progress.records += items.length;
              if (writer) files.push(...(await this.write(writer, spec.format, columns, items, progress)));
              else await exporter!.consume(shaped);
            }
            progress.positionMs = executionTimeMs(executions[executions.length - 1]);
          }
          writer?.sync();
          cp.last = page.next;
          if (!page.next) {
            cp.scenarioIndex += 1;
            progress.scenariosDone = cp.scenarioIndex;
          }
          commit(files);
          for (const f of files) await writer!.discardStaging(f.seq);
          if (!page.next) break;
        }
      }
      if (writer && (writer.position.records > 0 || store.get(id)!.files.length === 0)) {
        const last = await writer.finish();
        progress.bytes += last.bytes - writer.position.stagingBytes;
        Object.assign(cp, { chunkSeq: last.seq + 1, chunkRecords: 0, stagingBytes: 0 });
        store.commit(id, cp, progress, [last]);
        await writer.discardStaging(last.seq);
      }
      if (writer && dest.type === 'file') {
        await writeManifest(dest.directory, store.get(id)!);
        await writer.discardStaging(cp.chunkSeq);
      }
    } finally {
      writer?.close();
    }
  }

  /** Appends items to chunks, rotating full ones; returns the chunk files finished on the way. */
  private async write(writer: ChunkWriter, format: ExportSpec['format'], columns: Column[] | undefined, items: RecordItem[], progress: { bytes: number }) {
    const finished: (ExportFile & { seq: number })[] = [];
    let i = 0;
    while (i < items.length) {
      const slice = items.slice(i, i + writer.roomRecords);
      i += slice.length;
      progress.bytes += writer.append(stageLines(format, columns, slice), slice.length);
      if (writer.full) {
        const staged = writer.position.stagingBytes;
        const f = await writer.rotate();
        // Progress counts final bytes for finished files, staged bytes for the open chunk.
        progress.bytes += f.bytes - staged;
        finished.push(f);
      }
    }
    return finished;
  }

  private async selectScenarios(spec: ExportSpec, source: MakeSource, signal: AbortSignal): Promise<Checkpoint['scenarios']> {
    const listed = await listScenarios(source.client, source.scenarioSource, signal);
    const byId = new Map(listed.map((s) => [s.id, s]));
    const ids = spec.scenarioIds ?? source.scenarios ?? listed.map((s) => s.id);
    const unknown = ids.filter((sid) => !byId.has(sid));
    if (unknown.length > 0) throw new GatewayError('EXPORT_FAILED', `unknown scenario${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (not in the receiver's team/organization)`);
    return [...new Set(ids)].sort((a, b) => a - b).map((sid) => {
      const s = byId.get(sid)!;
      return { id: s.id, name: s.name, teamId: s.teamId };
    });
  }

  private async exporterOf(id: string): Promise<LogsConsumer> {
    if (!this.o.exporter) throw new GatewayError('EXPORT_FAILED', `exporter destinations are not available here`);
    return this.o.exporter(id);
  }
}

function flatColumns(spec: ExportSpec): Column[] | undefined {
  if (spec.format === 'otlp-json') return undefined;
  if (spec.fields) return parseColumns(spec.fields);
  return spec.format === 'jsonl' ? undefined : parseColumns(DEFAULT_FIELDS);
}

function recordItems(logs: Logs): RecordItem[] {
  const out: RecordItem[] = [];
  for (const resourceLogs of logs.resourceLogs) for (const scopeLogs of resourceLogs.scopeLogs) for (const record of scopeLogs.logRecords) out.push({ resourceLogs, scopeLogs, record });
  return out;
}

function describe(err: unknown, signal: AbortSignal): string {
  if (signal.aborted && !(err instanceof MakeApiError)) return 'interrupted (the process stopped); run the export again to resume';
  const e = err as Error;
  const hint = err instanceof MakeApiError && err.isAuthFailure ? ' (check the receiver\'s api_token and its scenarios:read scope)' : '';
  return redact(`${e?.message ?? String(err)}${hint}`);
}
