import { ConfigError, GatewayError } from '../errors.js';
import { loadConfig } from '../gateway.js';
import { redact } from '../telemetry/secrets.js';
import { EXPORT_USAGE, UsageError, parseExportArgs, positiveInt, specFromFlags } from './cli-args.js';
import { jobSummary, type JobInfo } from './job.js';
import { resolveReceiverId } from './make-source.js';
import { ProgressBar } from './progress-bar.js';
import { openStandaloneRuntime, type StandaloneRuntime } from './runtime.js';
import { TimeRangeError } from './time-range.js';

/**
 * `make-otel-gateway export ...`: run a job (printing one JSON summary line on stdout at the end),
 * or list / show / cancel / resume stored jobs. Exit 0 on success, 1 on failure, 2 on usage error.
 */
export async function exportCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseExportArgs(argv);
  } catch (err) {
    return usage((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(EXPORT_USAGE + '\n');
    return 0;
  }
  if (!values.config?.length) return usage('missing --config FILE');
  const [sub, id, ...extra] = positionals;
  if (extra.length > 0) return usage(`unexpected argument "${extra[0]}"`);
  let runtime: StandaloneRuntime | undefined;
  const bar = new ProgressBar(process.stderr);
  try {
    const config = loadConfig(values.config);
    runtime = openStandaloneRuntime(config, { onProgress: (job) => bar.update(job) });
    switch (sub) {
      case undefined:
        return await runJob(runtime, runtime.engine.submit(specFromFlags(values, resolveReceiverId(config, values.receiver))).id, bar);
      case 'resume':
        return await runJob(runtime, required(id, 'resume'), bar);
      case 'list': {
        const limit = values.limit === undefined ? 20 : positiveInt(values.limit, '--limit');
        for (const job of runtime.store.list(limit)) process.stdout.write(JSON.stringify(statusOf(job)) + '\n');
        return 0;
      }
      case 'status': {
        const job = runtime.store.get(required(id, 'status'));
        if (!job) throw new GatewayError('EXPORT_FAILED', `no export job ${id}`);
        process.stdout.write(JSON.stringify(statusOf(job)) + '\n');
        return 0;
      }
      case 'cancel': {
        const jobId = required(id, 'cancel');
        if (!runtime.store.get(jobId)) throw new GatewayError('EXPORT_FAILED', `no export job ${jobId}`);
        const cancelled = runtime.engine.cancel(jobId);
        const job = runtime.store.get(jobId)!;
        process.stdout.write(JSON.stringify(statusOf(job)) + '\n');
        if (!cancelled) process.stderr.write(`export job ${jobId} had already ${job.state}; nothing to cancel\n`);
        return 0;
      }
      default:
        return usage(`unknown export command "${sub}"`);
    }
  } catch (err) {
    if (err instanceof UsageError || err instanceof TimeRangeError) return usage(err.message);
    const code = err instanceof GatewayError && !(err instanceof ConfigError) ? ` [${err.code}]` : '';
    process.stderr.write(redact(`error${code}: ${(err as Error).message}`) + '\n');
    return 1;
  } finally {
    bar.done();
    await runtime?.close();
  }
}

async function runJob(runtime: StandaloneRuntime, id: string, bar: ProgressBar): Promise<number> {
  const stop = new AbortController();
  const onSignal = () => stop.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    let job = await runtime.engine.run(id, stop.signal);
    if (job.state === 'succeeded' && job.spec.destination.type === 'exporter') {
      // The records are durably queued; the command's promise is that they were delivered.
      await runtime.drained(job.spec.destination.exporter, (queued) => bar.waiting(queued));
      job = runtime.store.get(id)!;
    }
    bar.done();
    process.stdout.write(JSON.stringify(jobSummary(job)) + '\n');
    if (job.state !== 'succeeded') process.stderr.write(redact(`export ${job.id} ${job.state}${job.error ? `: ${job.error}` : ''}`) + '\n');
    return job.state === 'succeeded' ? 0 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** `export status` / `list`: the summary plus progress, times and the job's range. */
function statusOf(job: JobInfo) {
  const s = job.spec;
  return {
    ...jobSummary(job),
    progress: job.progress,
    format: s.format,
    from: new Date(s.fromMs).toISOString(),
    to: new Date(s.toMs).toISOString(),
    destination: s.destination,
    createdAt: new Date(job.createdAt).toISOString(),
    updatedAt: new Date(job.updatedAt).toISOString(),
  };
}

function required(id: string | undefined, sub: string): string {
  if (!id) throw new UsageError(`export ${sub} needs a job id`);
  return id;
}

function usage(message: string): number {
  process.stderr.write(`${message}\n\n${EXPORT_USAGE}\n`);
  return 2;
}
