import { afterEach, describe, expect, it } from 'vitest';
import { PermanentError, RetryableError } from '../../../src/errors.js';
import { createExporter } from '../../../src/exporters/helper/exporter.js';
import { permanent, retryable, success } from '../../../src/exporters/helper/sender.js';
import type { Component, LogsConsumer } from '../../../src/pipeline/component.js';
import { eventually, fakeClock, helperConfig, hostWith, logsOf, metric, ScriptedSender, settingsFor } from './fixtures.js';

const running: (Component & LogsConsumer)[] = [];
afterEach(async () => {
  for (const e of running.splice(0)) await e.shutdown();
});

async function started(...args: Parameters<typeof createExporter>) {
  const exporter = createExporter(...args);
  running.push(exporter);
  await exporter.start(hostWith());
  return exporter;
}

describe('exporter retries', () => {
  it("waits at least the backend's Retry-After before retrying", async () => {
    const settings = settingsFor();
    const clock = fakeClock();
    const sender = new ScriptedSender([retryable('HTTP 429', 3_000)]);
    const exporter = await started(settings, helperConfig({ retry_on_failure: { initial_interval: 10 } }), sender, { ...clock, random: () => 0.5 });
    await exporter.consume(logsOf('a'));
    await eventually(async () => (await metric(settings.telemetry.exporterSent, { exporter: 'otlphttp/test' })) === 1, 'sent count');
    expect(clock.sleeps).toEqual([3_000]);
    expect(await metric(settings.telemetry.exporterRetries, { exporter: 'otlphttp/test' })).toBe(1);
  });

  it('spreads retry delays within the randomization factor', async () => {
    const clock = fakeClock();
    const sender = new ScriptedSender([retryable('503'), retryable('503'), retryable('503')]);
    const exporter = await started(settingsFor(), helperConfig({ retry_on_failure: { initial_interval: 1_000, multiplier: 2, randomization_factor: 0.25 } }), sender, { ...clock, random: () => 0 });
    await exporter.consume(logsOf('a'));
    await eventually(() => sender.delivered.length === 1, 'delivery');
    expect(clock.sleeps).toEqual([750, 1_500, 3_000]);
  });

  it('dead-letters a request once max_elapsed_time has passed', async () => {
    const settings = settingsFor();
    const clock = fakeClock();
    const sender = new ScriptedSender([], retryable('HTTP 503'));
    const config = helperConfig({ retry_on_failure: { initial_interval: 1_000, multiplier: 2, randomization_factor: 0, max_elapsed_time: 10_000 } });
    const exporter = await started(settings, config, sender, clock);
    await exporter.consume(logsOf('a', 'b'));
    await eventually(async () => (await metric(settings.telemetry.deadLettered, { exporter: 'otlphttp/test', reason: 'retries_exhausted' })) === 2, 'dead letter');
    // 1 s + 2 s + 4 s waited; another 8 s would pass the 10 s budget.
    expect(clock.sleeps).toEqual([1_000, 2_000, 4_000]);
    expect(sender.calls).toHaveLength(4);
    expect(await metric(settings.telemetry.queueSize, { exporter: 'otlphttp/test' })).toBe(0);
    expect(await metric(settings.telemetry.deadLetterSize, { exporter: 'otlphttp/test' })).toBe(1);
  });

  it('retries forever when max_elapsed_time is 0', async () => {
    const clock = fakeClock();
    const sender = new ScriptedSender(Array.from({ length: 40 }, () => retryable('HTTP 503')));
    const config = helperConfig({ retry_on_failure: { max_elapsed_time: 0, max_interval: 3_600_000, multiplier: 2 } });
    const exporter = await started(settingsFor(), config, sender, clock);
    await exporter.consume(logsOf('a'));
    await eventually(() => sender.delivered.length === 1, 'delivery');
    expect(sender.calls).toHaveLength(41);
  });

  it('dead-letters a permanent failure at once, with its reason in the log', async () => {
    const settings = settingsFor();
    const sender = new ScriptedSender([permanent('HTTP 400: field x is invalid')]);
    const exporter = await started(settings, helperConfig(), sender);
    await exporter.consume(logsOf('a'));
    await eventually(async () => (await metric(settings.telemetry.deadLettered, { exporter: 'otlphttp/test', reason: 'permanent' })) === 1, 'dead letter');
    expect(sender.calls).toHaveLength(1);
    const warn = settings.logger.lines.find((l) => l.level === 'warn');
    expect(warn?.attrs.reason).toBe('HTTP 400: field x is invalid');
    expect(await metric(settings.telemetry.exporterSendFailed, { exporter: 'otlphttp/test' })).toBe(1);
  });

  it('keeps other requests flowing while one is backing off', async () => {
    const sender = new ScriptedSender([], (req) => (req.logs().resourceLogs[0].scopeLogs[0].logRecords[0].body?.stringValue === 'stuck' ? retryable('HTTP 503') : success()));
    const config = helperConfig({ sending_queue: { num_consumers: 2 }, retry_on_failure: { initial_interval: 60_000 } });
    const exporter = await started(settingsFor(), config, sender, { memoryDrainTimeoutMs: 0 });
    await exporter.consume(logsOf('stuck'));
    for (const b of ['x', 'y', 'z']) await exporter.consume(logsOf(b));
    await eventually(() => sender.delivered.length === 3, 'the other requests');
    expect(sender.delivered).toEqual(['x', 'y', 'z']);
  });

  it('records partial-success rejections without retrying', async () => {
    const settings = settingsFor();
    const sender = new ScriptedSender([success(2, 'two records too old')]);
    const exporter = await started(settings, helperConfig(), sender);
    await exporter.consume(logsOf('a', 'b', 'c'));
    await eventually(async () => (await metric(settings.telemetry.exporterSent, { exporter: 'otlphttp/test' })) === 3, 'sent count');
    expect(sender.calls).toHaveLength(1);
    expect(await metric(settings.telemetry.partialRejected, { exporter: 'otlphttp/test' })).toBe(2);
  });

  it('aborts a send that outlives the exporter timeout and retries it', async () => {
    const clock = fakeClock();
    const sender = new ScriptedSender(['hang']);
    const exporter = await started(settingsFor(), helperConfig({ timeout: 20 }), sender, clock);
    await exporter.consume(logsOf('a'));
    await eventually(() => sender.delivered.length === 1, 'delivery');
    expect(sender.calls[0].signalAborted()).toBe(true);
    expect(sender.calls).toHaveLength(2);
  });
});

describe('exporter without a sending queue', () => {
  const noQueue = (retry = {}) => helperConfig({ sending_queue: { enabled: false }, retry_on_failure: retry });

  it('resolves consume once the backend accepted the records', async () => {
    const sender = new ScriptedSender();
    const exporter = await started(settingsFor(), noQueue(), sender);
    await exporter.consume(logsOf('a', 'b'));
    expect(sender.delivered).toEqual(['a', 'b']);
  });

  it('retries by the same rules before answering', async () => {
    const clock = fakeClock();
    const sender = new ScriptedSender([retryable('HTTP 502'), retryable('HTTP 429', 4_000)]);
    const exporter = await started(settingsFor(), noQueue({ randomization_factor: 0 }), sender, clock);
    await exporter.consume(logsOf('a'));
    expect(clock.sleeps).toEqual([1_000, 4_000]);
    expect(sender.delivered).toEqual(['a']);
  });

  it('warns of no listener leak with many deliveries in flight at once (each unhooks when done)', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      // Holds every send until all twenty are in flight.
      const sender = new (class extends ScriptedSender {
        override async send(request: Parameters<ScriptedSender['send']>[0], signal: AbortSignal) {
          const result = super.send(request, signal);
          await gate;
          return result;
        }
      })();
      const exporter = await started(settingsFor(), noQueue(), sender);
      const inFlight = Array.from({ length: 20 }, (_, i) => exporter.consume(logsOf(`r${i}`)));
      await eventually(() => sender.calls.length === 20, 'twenty sends in flight');
      release();
      await Promise.all(inFlight);
      // Node reports the warning on a later tick.
      await new Promise((r) => setImmediate(r));
      expect(sender.delivered).toHaveLength(20);
      expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('rejects as permanent when the backend refuses for good', async () => {
    const exporter = await started(settingsFor(), noQueue(), new ScriptedSender([permanent('HTTP 400')]));
    await expect(exporter.consume(logsOf('a'))).rejects.toBeInstanceOf(PermanentError);
  });

  it('rejects as retryable, passing on the delay, when retries run out', async () => {
    const clock = fakeClock();
    const exporter = await started(settingsFor(), noQueue({ max_elapsed_time: 1_000 }), new ScriptedSender([], retryable('HTTP 503', 2_000)), clock);
    const err = await exporter.consume(logsOf('a')).catch((e) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect(err.retryAfterMs).toBe(2_000);
  });
});
