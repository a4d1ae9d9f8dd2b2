import { afterEach, describe, expect, it } from 'vitest';
import { createExporter } from '../../../src/exporters/helper/exporter.js';
import type { Component, LogsConsumer } from '../../../src/pipeline/component.js';
import { eventually, helperConfig, hostWith, isThrottled, logsOf, metric, ScriptedSender, settingsFor } from './fixtures.js';

const running: (Component & LogsConsumer)[] = [];
afterEach(async () => {
  for (const e of running.splice(0)) await e.shutdown();
});

const ID = { exporter: 'otlphttp/test' };
/** Tests with a backend that never answers should not wait out the in-memory drain. */
const noDrain = { memoryDrainTimeoutMs: 0 };

describe('exporter sending queue', () => {
  it('delivers what consume accepted and reports queue size and capacity', async () => {
    const settings = settingsFor();
    const sender = new ScriptedSender();
    const exporter = createExporter(settings, helperConfig({ sending_queue: { queue_size: 50 } }), sender);
    running.push(exporter);
    await exporter.start(hostWith());
    expect(await metric(settings.telemetry.queueCapacity, ID)).toBe(50);
    await exporter.consume(logsOf('a', 'b'));
    await eventually(async () => (await metric(settings.telemetry.exporterSent, ID)) === 2, 'sent count');
    expect(sender.delivered).toEqual(['a', 'b']);
    expect(await metric(settings.telemetry.queueSize, ID)).toBe(0);
  });

  it('pushes back with a throttled retryable error when the queue is full', async () => {
    const settings = settingsFor();
    const exporter = createExporter(settings, helperConfig({ sending_queue: { queue_size: 2 } }), new ScriptedSender([], 'hang'), noDrain);
    running.push(exporter);
    await exporter.start(hostWith());
    await exporter.consume(logsOf('a'));
    await exporter.consume(logsOf('b', 'c'));
    const err = await exporter.consume(logsOf('d', 'e', 'f')).catch((e) => e);
    expect(isThrottled(err)).toBe(true);
    expect(err.code).toBe('QUEUE_FULL');
    expect(await metric(settings.telemetry.exporterEnqueueFailed, ID)).toBe(3);
  });

  it('makes consume wait for room when block_on_overflow is set', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const sender = new ScriptedSender();
    const slow = { ...sender, send: async (...args: Parameters<ScriptedSender['send']>) => (await gate, sender.send(...args)) };
    const exporter = createExporter(settingsFor(), helperConfig({ sending_queue: { queue_size: 1, block_on_overflow: true } }), slow);
    running.push(exporter);
    await exporter.start(hostWith());
    await exporter.consume(logsOf('a'));
    let secondDone = false;
    const second = exporter.consume(logsOf('b')).then(() => (secondDone = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(secondDone).toBe(false);
    release();
    await second;
    await eventually(() => sender.delivered.length === 2, 'both delivered');
    expect(sender.delivered).toEqual(['a', 'b']);
  });

  it('drops and counts records under overflow_policy drop_newest, with a warning', async () => {
    const settings = settingsFor();
    const exporter = createExporter(settings, helperConfig({ sending_queue: { queue_size: 1, overflow_policy: 'drop_newest' } }), new ScriptedSender([], 'hang'), noDrain);
    running.push(exporter);
    await exporter.start(hostWith());
    await exporter.consume(logsOf('a'));
    await exporter.consume(logsOf('b', 'c'));
    expect(await metric(settings.telemetry.droppedOnOverflow, { ...ID, reason: 'queue_full' })).toBe(2);
    expect(settings.logger.lines.some((l) => l.level === 'warn' && /dropping/.test(l.msg))).toBe(true);
  });

  it('refuses to start when sending_queue.storage names a missing extension', async () => {
    const exporter = createExporter(settingsFor(), helperConfig({ sending_queue: { storage: 'file_storage/nope' } }), new ScriptedSender());
    const err = await exporter.start(hostWith()).catch((e) => e);
    expect(err.code).toBe('COMPONENT_START_FAILED');
    expect(err.message).toContain('file_storage/nope');
  });

  it('refuses to start when sending_queue.storage names an extension that is not storage', async () => {
    const notStorage = { start: async () => {}, shutdown: async () => {} };
    const exporter = createExporter(settingsFor(), helperConfig({ sending_queue: { storage: 'health_check' } }), new ScriptedSender());
    const err = await exporter.start(hostWith({ health_check: notStorage })).catch((e) => e);
    expect(err.message).toMatch(/health_check.*not a storage extension/);
  });

  it('drains the in-memory queue before stopping', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const sender = new ScriptedSender();
    const slow = { ...sender, send: async (...args: Parameters<ScriptedSender['send']>) => (await gate, sender.send(...args)) };
    const exporter = createExporter(settingsFor(), helperConfig(), slow);
    await exporter.start(hostWith());
    await exporter.consume(logsOf('a'));
    await exporter.consume(logsOf('b'));
    const stopping = exporter.shutdown();
    release();
    await stopping;
    expect(sender.delivered).toEqual(['a', 'b']);
  });

  it('counts and logs what an in-memory queue could not deliver before shutdown', async () => {
    const settings = settingsFor();
    const exporter = createExporter(settings, helperConfig(), new ScriptedSender([], 'hang'), noDrain);
    await exporter.start(hostWith());
    await exporter.consume(logsOf('a', 'b'));
    await exporter.consume(logsOf('c'));
    await exporter.shutdown();
    expect(await metric(settings.telemetry.droppedOnOverflow, { ...ID, reason: 'shutdown' })).toBe(3);
    expect(settings.logger.lines.some((l) => l.level === 'warn' && /not drained/.test(l.msg))).toBe(true);
  });

  it('refuses new records once shut down, and shuts down only once', async () => {
    const sender = new ScriptedSender();
    const exporter = createExporter(settingsFor(), helperConfig(), sender);
    await exporter.start(hostWith());
    await Promise.all([exporter.shutdown(), exporter.shutdown()]);
    await exporter.shutdown();
    expect(sender.stopped).toBe(1);
    const err = await exporter.consume(logsOf('late')).catch((e) => e);
    expect(err.code).toBe('QUEUE_CLOSED');
  });
});
