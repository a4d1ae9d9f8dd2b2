import type { Counter, Gauge } from 'prom-client';
import { RetryableError } from '../../../src/errors.js';
import type { ExporterHelperConfig } from '../../../src/exporters/helper/config.js';
import { retryable, success, type ExportRequest, type LogsSender, type SendResult } from '../../../src/exporters/helper/sender.js';
import { newLogRecord, type Logs } from '../../../src/pdata/model.js';
import type { Component, CreateSettings, Host } from '../../../src/pipeline/component.js';
import type { LogAttrs, Logger } from '../../../src/telemetry/logger.js';
import { Telemetry } from '../../../src/telemetry/telemetry.js';

/** Shared pieces for the exporter helper tests: logs, a scripted sender, settings, metrics. */

export function logsOf(...bodies: string[]): Logs {
  return {
    resourceLogs: [
      {
        schemaUrl: '',
        resource: { attributes: [], droppedAttributesCount: 0 },
        scopeLogs: [{ schemaUrl: '', logRecords: bodies.map((b) => newLogRecord({ body: { stringValue: b } })) }],
      },
    ],
  };
}

export function bodiesOf(request: ExportRequest): string[] {
  return request.logs().resourceLogs.flatMap((rl) => rl.scopeLogs.flatMap((sl) => sl.logRecords.map((r) => r.body?.stringValue ?? '')));
}

type Step = SendResult | 'hang' | ((request: ExportRequest) => SendResult | 'hang');

/**
 * A LogsSender that answers from a script, then with `fallback`. 'hang' stays pending until the
 * send is aborted (timeout or shutdown), as a backend that never answers.
 */
export class ScriptedSender implements LogsSender {
  readonly calls: { bodies: string[]; signalAborted: () => boolean }[] = [];
  readonly delivered: string[] = [];
  started = 0;
  stopped = 0;

  constructor(
    private readonly script: Step[] = [],
    private readonly fallback: Step = success(),
  ) {}

  async start() {
    this.started++;
  }
  async shutdown() {
    this.stopped++;
  }

  async send(request: ExportRequest, signal: AbortSignal): Promise<SendResult> {
    const bodies = bodiesOf(request);
    this.calls.push({ bodies, signalAborted: () => signal.aborted });
    let step = this.script.length > 0 ? this.script.shift()! : this.fallback;
    if (typeof step === 'function') step = step(request);
    if (step === 'hang') {
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      return retryable('request aborted');
    }
    if (step.kind === 'success') this.delivered.push(...bodies);
    return step;
  }
}

export function helperConfig(overrides: { timeout?: number; sending_queue?: Partial<ExporterHelperConfig['sending_queue']>; retry_on_failure?: Partial<ExporterHelperConfig['retry_on_failure']> } = {}): ExporterHelperConfig {
  return {
    timeout: overrides.timeout ?? 5_000,
    sending_queue: { enabled: true, num_consumers: 1, queue_size: 100, sizer: 'requests', block_on_overflow: false, overflow_policy: 'refuse', dead_letter_max_bytes: 0, ...overrides.sending_queue },
    retry_on_failure: { enabled: true, initial_interval: 1_000, max_interval: 30_000, max_elapsed_time: 300_000, multiplier: 1.5, randomization_factor: 0.5, ...overrides.retry_on_failure },
  };
}

/** A logger that remembers what it was told. */
export class RecordingLogger implements Logger {
  readonly lines: { level: string; msg: string; attrs: LogAttrs }[] = [];
  constructor(private readonly base: LogAttrs = {}, private readonly sink?: RecordingLogger['lines']) {}
  private push(level: string, msg: string, attrs: LogAttrs = {}) {
    (this.sink ?? this.lines).push({ level, msg, attrs: { ...this.base, ...attrs } });
  }
  debug(msg: string, attrs?: LogAttrs) { this.push('debug', msg, attrs); }
  info(msg: string, attrs?: LogAttrs) { this.push('info', msg, attrs); }
  warn(msg: string, attrs?: LogAttrs) { this.push('warn', msg, attrs); }
  error(msg: string, attrs?: LogAttrs) { this.push('error', msg, attrs); }
  child(attrs: LogAttrs): Logger {
    return new RecordingLogger({ ...this.base, ...attrs }, this.sink ?? this.lines);
  }
}

export function settingsFor(id = 'otlphttp/test'): CreateSettings & { telemetry: Telemetry; logger: RecordingLogger } {
  return { id, telemetry: new Telemetry({ processMetrics: false }), logger: new RecordingLogger() };
}

export function hostWith(extensions: Record<string, Component> = {}): Host {
  return { getExtension: (id) => extensions[id] };
}

export async function metric(m: Counter<string> | Gauge<string>, labels: Record<string, string>): Promise<number> {
  const { values } = await m.get();
  const hit = values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val));
  return hit?.value ?? 0;
}

/** Poll until `check` holds; waiting is not asserting, so this keeps tests free of timing. */
export async function eventually(check: () => boolean | Promise<boolean>, what = 'condition'): Promise<void> {
  for (let i = 0; i < 2_000; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A backoff sleep that returns at once but advances a fake clock, recording each delay. */
export function fakeClock() {
  let nowMs = 1_000_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => nowMs,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      nowMs += ms;
      await new Promise((r) => setImmediate(r));
    },
  };
}

export const isThrottled = (err: unknown) => err instanceof RetryableError && err.throttled;
