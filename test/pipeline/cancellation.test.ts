import { afterEach, describe, expect, it } from 'vitest';
import { RetryableError } from '../../src/errors.js';
import { createExporter } from '../../src/exporters/helper/exporter.js';
import { retryable } from '../../src/exporters/helper/sender.js';
import type { Component, LogsConsumer } from '../../src/pipeline/component.js';
import { CancelReason, linkSignals, untilAborted } from '../../src/pipeline/cancellation.js';
import { BatchProcessor } from '../../src/processors/batch/processor.js';
import { batchConfigSchema } from '../../src/processors/batch/config.js';
import { eventually, helperConfig, logsOf, metric, ScriptedSender, settingsFor } from '../exporters/helper/fixtures.js';
import { ControlledConsumer, makeLogs } from '../processors/batch/fixtures.js';
import { CapacityGate } from '../../src/queue/capacity.js';

const running: (Component & LogsConsumer)[] = [];
afterEach(async () => {
  for (const e of running.splice(0)) await e.shutdown();
});

const noDrain = { memoryDrainTimeoutMs: 0 };

async function fullBlockingExporter(grace?: AbortSignal) {
  const settings = settingsFor();
  const exporter = createExporter(settings, helperConfig({ sending_queue: { queue_size: 1, block_on_overflow: true } }), new ScriptedSender([], 'hang'), noDrain);
  running.push(exporter);
  await exporter.start({ getExtension: () => undefined, shutdownGrace: grace });
  await exporter.consume(logsOf('stored'));
  return { exporter, settings };
}

describe('cancellation through consume', () => {
  it('ends a request waiting for room in a full blocking queue when its client goes away', async () => {
    const { exporter, settings } = await fullBlockingExporter();
    const client = new AbortController();
    let settled = false;
    const waiting = exporter.consume(logsOf('waiting'), client.signal).finally(() => (settled = true));
    await new Promise((r) => setTimeout(r, 30));
    expect(settled).toBe(false);
    client.abort(new CancelReason('the client closed the connection'));
    const err = await waiting.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as RetryableError).code).toBe('CANCELLED');
    expect((err as Error).message).toContain('the client closed the connection');
    expect(await metric(settings.telemetry.exporterEnqueueFailed, { exporter: 'otlphttp/test' })).toBe(1);
  });

  it("ends every waiting request when the host's shutdown grace signal aborts", async () => {
    const grace = new AbortController();
    const { exporter } = await fullBlockingExporter(grace.signal);
    const waiting = [1, 2, 3].map((i) => exporter.consume(logsOf(`w${i}`)).catch((e: unknown) => e));
    await new Promise((r) => setTimeout(r, 30));
    grace.abort(new CancelReason('the gateway is shutting down'));
    const errs = await Promise.all(waiting);
    for (const err of errs) expect((err as RetryableError).code).toBe('CANCELLED');
  });

  it('answers a request that is already cancelled at once', async () => {
    const { exporter } = await fullBlockingExporter();
    const err = await exporter.consume(logsOf('late'), AbortSignal.abort()).catch((e: unknown) => e);
    expect((err as RetryableError).code).toBe('CANCELLED');
  });

  it('ends the retries of a request sent without a queue when its client goes away', async () => {
    const settings = settingsFor();
    const sender = new ScriptedSender([], retryable('HTTP 503'));
    const config = helperConfig({ sending_queue: { enabled: false }, retry_on_failure: { initial_interval: 20, max_interval: 20, max_elapsed_time: 0 } });
    const exporter = createExporter(settings, config, sender);
    running.push(exporter);
    await exporter.start({ getExtension: () => undefined });
    const client = new AbortController();
    const waiting = exporter.consume(logsOf('x'), client.signal).catch((e: unknown) => e);
    await eventually(() => sender.calls.length >= 2, 'a retry');
    client.abort(new CancelReason('the client closed the connection'));
    expect(((await waiting) as RetryableError).code).toBe('CANCELLED');
    const calls = sender.calls.length;
    await new Promise((r) => setTimeout(r, 100));
    expect(sender.calls.length).toBe(calls);
  });

  it("lets a caller stop waiting for the batch processor's timeout; its records are still sent", async () => {
    const next = new ControlledConsumer();
    const settings = settingsFor('batch');
    const proc = new BatchProcessor(settings, batchConfigSchema.parse({ timeout: '10s' }), next);
    const client = new AbortController();
    const waiting = proc.consume(makeLogs(3), client.signal).catch((e: unknown) => e);
    client.abort();
    expect(((await waiting) as RetryableError).code).toBe('CANCELLED');
    const stopping = proc.shutdown();
    await eventually(() => next.calls.length === 1, 'the batch flushed at shutdown');
    expect(next.calls[0]!.count).toBe(3);
    next.calls[0]!.resolve();
    await stopping;
  });

  it('hands requests on at once, with their signal, when batching happens behind the queue', async () => {
    const seen: (AbortSignal | undefined)[] = [];
    const logs = makeLogs(2);
    const proc = new BatchProcessor(settingsFor('batch'), batchConfigSchema.parse({ timeout: 0 }), {
      consume: async (l, signal) => {
        expect(l).toBe(logs);
        seen.push(signal);
      },
    });
    const client = new AbortController();
    await proc.consume(logs, client.signal);
    expect(seen).toEqual([client.signal]);
  });
});

describe('a blocking queue and cancelled waiters', () => {
  it('drops a waiter whose client went away, so it is never stored and does not hold up the line', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const sender = new ScriptedSender();
    const slow = { ...sender, send: async (...args: Parameters<ScriptedSender['send']>) => (await gate, sender.send(...args)) };
    const exporter = createExporter(settingsFor(), helperConfig({ sending_queue: { queue_size: 1, block_on_overflow: true } }), slow);
    running.push(exporter);
    await exporter.start({ getExtension: () => undefined });
    await exporter.consume(logsOf('stored'));
    const gone = new AbortController();
    const abandoned = exporter.consume(logsOf('abandoned'), gone.signal).catch((e: unknown) => e);
    let laterDone = false;
    const later = exporter.consume(logsOf('later')).then(() => (laterDone = true));
    gone.abort(new CancelReason('the client closed the connection'));
    expect(((await abandoned) as RetryableError).code).toBe('CANCELLED');
    expect(laterDone).toBe(false);
    release();
    await later;
    await eventually(() => sender.delivered.length === 2, 'both stored requests delivered');
    await new Promise((r) => setTimeout(r, 50));
    expect(sender.delivered).toEqual(['stored', 'later']);
  });

  it('lets smaller waiters in when a big one at the head of the line is cancelled', async () => {
    const gate = new CapacityGate({ sizer: 'items', capacity: 10, overflow: 'block' });
    expect(await gate.reserve(8)).toBe(true);
    const big = new AbortController();
    const bigWait = gate.reserve(9, big.signal).catch((e: unknown) => e);
    let smallIn = false;
    const small = gate.reserve(2).then(() => (smallIn = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(smallIn).toBe(false);
    big.abort();
    expect(((await bigWait) as RetryableError).code).toBe('CANCELLED');
    await small;
    expect(gate.size()).toBe(10);
  });
});

describe('signal helpers', () => {
  it('links signals and leaves nothing hooked after unlink', () => {
    const a = new AbortController();
    const b = new AbortController();
    const link = linkSignals(a.signal, undefined, b.signal);
    b.abort('why');
    expect(link.signal?.aborted).toBe(true);
    expect(link.signal?.reason).toBe('why');
    const c = new AbortController();
    const d = new AbortController();
    const other = linkSignals(c.signal, d.signal);
    other.unlink();
    c.abort();
    expect(other.signal?.aborted).toBe(false);
    expect(linkSignals(undefined, c.signal).signal).toBe(c.signal);
  });

  it('passes the work through when no signal aborts', async () => {
    const s = new AbortController();
    await expect(untilAborted(Promise.resolve(7), [s.signal, undefined])).resolves.toBe(7);
    await expect(untilAborted(Promise.reject(new Error('boom')), s.signal)).rejects.toThrow('boom');
  });
});
