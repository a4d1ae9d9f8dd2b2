import { Cron } from 'croner';
import type { Logger } from '../telemetry/logger.js';
import type { ExportEngine } from './engine.js';
import type { ExportSpec } from './job.js';
import type { ScheduleMetrics } from './schedule-metrics.js';

/**
 * Runs export jobs on cron schedules (croner). Rules:
 * - One run of a job at a time: a run due while the previous one still runs is skipped, counted
 *   (`state="skipped"`) and logged, never queued up.
 * - Catch-up: at start, when the latest scheduled time before now is later than both the last run's
 *   window end and the moment the job was first seen, that window runs once (not once per missed
 *   time). The first start of a new job catches nothing up.
 * - A run's window is [scheduled time − range, scheduled time); the job store keeps the last
 *   `history` runs per job.
 */

export interface ScheduledJob {
  name: string;
  schedule: string;
  timezone?: string;
  catchUp: boolean;
  /** The spec of the run whose window ends at `windowEndMs`. */
  specFor(windowEndMs: number): ExportSpec;
}

export interface SchedulerOptions {
  engine: ExportEngine;
  jobs: ScheduledJob[];
  metrics: ScheduleMetrics;
  logger: Logger;
  history: number;
  now?: () => number;
}

export class ExportScheduler {
  private readonly crons: Cron[] = [];
  private readonly running = new Map<string, Promise<void>>();
  private readonly stop = new AbortController();

  constructor(private readonly o: SchedulerOptions) {}

  start(): void {
    const now = (this.o.now ?? Date.now)();
    for (const job of this.o.jobs) {
      const cron = new Cron(job.schedule, { timezone: job.timezone, name: `make_exports:${job.name}` }, (self: Cron) => {
        const at = self.currentRun() ?? new Date();
        this.trigger(job, floorToSecond(at.getTime()), 'schedule');
      });
      this.crons.push(cron);
      const mark = this.o.engine.store.schedule(job.name, now);
      if (mark.isNew || !job.catchUp) continue;
      const previous = cron.previousRuns(1, new Date(now))[0]?.getTime();
      if (previous !== undefined && previous > Math.max(mark.lastScheduled ?? 0, mark.registeredAt)) this.trigger(job, previous, 'catch-up');
    }
  }

  /** Stops the crons; running jobs are interrupted (resumable) and waited for. */
  async shutdown(): Promise<void> {
    for (const c of this.crons) c.stop();
    this.stop.abort(new Error('gateway shutting down'));
    await Promise.allSettled([...this.running.values()]);
  }

  /** Whether a run of `name` is in progress (tests, status). */
  isRunning(name: string): boolean {
    return this.running.has(name);
  }

  private trigger(job: ScheduledJob, windowEndMs: number, why: 'schedule' | 'catch-up'): void {
    if (this.stop.signal.aborted) return;
    if (this.running.has(job.name)) {
      this.o.metrics.runs.inc({ job: job.name, state: 'skipped' });
      this.o.logger.warn('scheduled export skipped: the previous run is still running', { job: job.name, window_end: new Date(windowEndMs).toISOString() });
      return;
    }
    const run = this.runOnce(job, windowEndMs, why).finally(() => this.running.delete(job.name));
    this.running.set(job.name, run);
  }

  private async runOnce(job: ScheduledJob, windowEndMs: number, why: string): Promise<void> {
    const { engine, metrics, logger } = this.o;
    engine.store.markScheduled(job.name, windowEndMs);
    try {
      const created = engine.submit(job.specFor(windowEndMs));
      logger.info('scheduled export started', { job: job.name, export_job: created.id, trigger: why, window_end: new Date(windowEndMs).toISOString() });
      const done = await engine.run(created.id, this.stop.signal);
      metrics.runs.inc({ job: job.name, state: done.state });
      if (done.state === 'succeeded') {
        metrics.records.inc({ job: job.name }, done.progress.records);
        metrics.lastSuccess.set({ job: job.name }, Math.floor(Date.now() / 1000));
        logger.info('scheduled export succeeded', { job: job.name, export_job: done.id, records: done.progress.records });
      } else {
        logger.warn(`scheduled export ${done.state}`, { job: job.name, export_job: done.id, error: done.error });
      }
    } catch (err) {
      metrics.runs.inc({ job: job.name, state: 'failed' });
      logger.error('scheduled export could not run', { job: job.name, error: (err as Error).message });
    } finally {
      engine.store.prune(job.name, this.o.history);
    }
  }
}

function floorToSecond(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}
