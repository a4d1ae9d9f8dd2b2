import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { batchSchema, sendingQueueSchema } from '../../../src/exporters/helper/config.js';
import { createExporter } from '../../../src/exporters/helper/exporter.js';
import { permanent, retryable, success, type ExportRequest } from '../../../src/exporters/helper/sender.js';
import { fileStorageExtensionFactory } from '../../../src/extensions/file_storage/factory.js';
import type { FileStorageExtension } from '../../../src/extensions/file_storage/extension.js';
import { decodeLogs, encodeLogs } from '../../../src/pdata/proto.js';
import { rememberWireBytes } from '../../../src/pdata/wire-bytes.js';
import type { Component, LogsConsumer } from '../../../src/pipeline/component.js';
import { deadLettersIn } from '../../helpers/dead-letters.js';
import { bodiesOf, eventually, fakeClock, helperConfig, hostWith, logsOf, metric, ScriptedSender, settingsFor } from './fixtures.js';

/**
 * `sending_queue.batch`: queued requests leave in batches (after the queue, so acknowledgements
 * are not delayed), each request still acked or dead-lettered on its own.
 */

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const ID = { exporter: 'otlphttp/test' };
type Batch = NonNullable<Parameters<typeof helperConfig>[0]>['sending_queue'];

/** A sender that records each request's record count and bytes; the first send waits for `firstGate`. */
class RecordingSender extends ScriptedSender {
  readonly requests: { records: number; bytes: Uint8Array }[] = [];
  firstGate?: Promise<void>;
  override async send(request: ExportRequest, signal: AbortSignal) {
    this.requests.push({ records: request.records, bytes: request.bytes() });
    if (this.requests.length === 1 && this.firstGate) await this.firstGate;
    return super.send(request, signal);
  }
}

async function start(sendingQueue: Batch, sender: ScriptedSender, extensions: Record<string, Component> = {}, internals = {}) {
  const settings = settingsFor();
  const exporter = createExporter(settings, helperConfig({ sending_queue: sendingQueue }), sender, internals);
  cleanup.push(() => exporter.shutdown());
  return { exporter, settings, started: exporter.start(hostWith(extensions)) };
}

/** Requests as a receiver hands them on: protobuf bytes remembered, so they are forwarded as received. */
function received(...bodies: string[]) {
  const logs = logsOf(...bodies);
  rememberWireBytes(logs, encodeLogs(logs));
  return logs;
}

async function fileStorage() {
  const dir = mkdtempSync(join(tmpdir(), 'exporter-batch-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const storage = fileStorageExtensionFactory.create(settingsFor('file_storage'), fileStorageExtensionFactory.schema.parse({ directory: dir })) as FileStorageExtension;
  await storage.start(hostWith());
  return { dir, storage };
}

async function consumeAll(exporter: LogsConsumer, requests: string[][]) {
  for (const r of requests) await exporter.consume(received(...r));
}

describe('sending_queue.batch', () => {
  it('sends what is queued as one request once min_size is reached, bytes concatenated as received', async () => {
    let release!: () => void;
    const sender = new RecordingSender();
    // The first send waits, so the next three requests queue up behind it.
    sender.firstGate = new Promise<void>((r) => (release = r));
    const { exporter, started } = await start({ num_consumers: 1, batch: batchSchema.parse({ min_size: 6, flush_timeout: '10s' }) }, sender);
    await started;
    await exporter.consume(received('1', '2', '3', '4', '5', '6'));
    await eventually(() => sender.requests.length === 1, 'first send');
    const rest = [['a', 'b'], ['c', 'd'], ['e', 'f']];
    await consumeAll(exporter, rest);
    release();
    await eventually(() => sender.requests.length === 2, 'batch sent');
    const batch = sender.requests[1]!;
    expect(batch.records).toBe(6);
    expect(Buffer.from(batch.bytes)).toEqual(Buffer.concat(rest.map((r) => encodeLogs(logsOf(...r)))));
    expect(bodiesOf({ records: 6, bytes: () => batch.bytes, logs: () => decodeLogs(batch.bytes) })).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });

  it('sends a smaller batch when flush_timeout passes first', async () => {
    const sender = new RecordingSender();
    const { exporter, settings, started } = await start({ batch: batchSchema.parse({ min_size: 1000, flush_timeout: '30ms' }) }, sender);
    await started;
    await consumeAll(exporter, [['a'], ['b']]);
    await eventually(async () => (await metric(settings.telemetry.exporterSent, ID)) === 2, 'sent after the timeout');
    expect(sender.requests.map((r) => r.records)).toEqual([2]);
  });

  it('never lets a batch grow past max_size, and splits a request bigger than it into parts, in order', async () => {
    const sender = new RecordingSender();
    let release!: () => void;
    sender.firstGate = new Promise<void>((r) => (release = r));
    const { exporter, settings, started } = await start({ num_consumers: 1, batch: batchSchema.parse({ min_size: 4, max_size: 5, flush_timeout: '20ms' }) }, sender);
    await started;
    await exporter.consume(received('0'));
    await eventually(() => sender.requests.length === 1, 'first send');
    // Queued while the only consumer is busy: everything is there at once when it is free.
    const requests = [['a', 'b'], ['c', 'd'], ['e', 'f', 'g', 'h', 'i', 'j'], ['k'], ['l', 'm', 'n']];
    await consumeAll(exporter, requests);
    release();
    await eventually(async () => (await metric(settings.telemetry.exporterSent, ID)) === 15, 'all sent');
    const batches = sender.requests.slice(1).map((r) => r.records);
    expect(batches).toEqual([4, 5, 1, 4]);
    expect(sender.delivered).toEqual('0abcdefghijklmn'.split(''));
    expect(await metric(settings.telemetry.queueSize, ID)).toBe(0);
  });

  it('with sizer bytes, splits a request into parts that each encode within max_size; a record bigger than that goes alone', async () => {
    const sender = new RecordingSender();
    const maxSize = 200;
    const { exporter, settings, started } = await start({ batch: batchSchema.parse({ sizer: 'bytes', min_size: 100, max_size: maxSize, flush_timeout: '10ms' }) }, sender);
    await started;
    const bodies = Array.from({ length: 12 }, (_, i) => `record-${i}-${'x'.repeat(20)}`);
    const huge = `huge-${'y'.repeat(400)}`;
    await exporter.consume(received(...bodies.slice(0, 6), huge, ...bodies.slice(6)));
    await eventually(async () => (await metric(settings.telemetry.exporterSent, ID)) === 13, 'all sent');
    expect(sender.delivered).toEqual([...bodies.slice(0, 6), huge, ...bodies.slice(6)]);
    expect(sender.requests.length).toBeGreaterThan(2);
    for (const r of sender.requests) {
      if (r.records > 1) expect(r.bytes.byteLength).toBeLessThanOrEqual(maxSize);
    }
    expect(sender.requests.some((r) => r.records === 1 && r.bytes.byteLength > maxSize)).toBe(true);
  });

  it('dead-letters only the part of a split request the backend refuses for good, and delivers the rest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'exporter-batch-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const storage = fileStorageExtensionFactory.create(settingsFor('file_storage'), fileStorageExtensionFactory.schema.parse({ directory: dir })) as FileStorageExtension;
    await storage.start(hostWith());
    const sender = new RecordingSender([success(), permanent('400 Bad Request: schema')]);
    const { exporter, settings, started } = await start({ storage: 'file_storage', batch: batchSchema.parse({ min_size: 2, max_size: 2, flush_timeout: '10ms' }) }, sender, { file_storage: storage });
    await started;
    await exporter.consume(received('a', 'b', 'c', 'd', 'e'));
    await eventually(async () => (await metric(settings.telemetry.exporterSent, ID)) === 3, 'the other parts delivered');
    expect(sender.requests.map((r) => r.records)).toEqual([2, 2, 1]);
    expect(sender.delivered).toEqual(['a', 'b', 'e']);
    expect(await metric(settings.telemetry.deadLettered, { ...ID, reason: 'permanent' })).toBe(2);
    expect(await metric(settings.telemetry.queueSize, ID)).toBe(0);
    await exporter.shutdown();
    await storage.shutdown();
    const dead = await deadLettersIn(dir, 'otlphttp/test');
    expect(dead.map((d) => [d.records, d.reason])).toEqual([[2, 'permanent: 400 Bad Request: schema']]);
  });

  it('retries a failed batch as a whole and acks every request in it once delivered', async () => {
    const clock = fakeClock();
    const sender = new RecordingSender([retryable('503 from backend')]);
    const { exporter, settings, started } = await start({ batch: batchSchema.parse({ min_size: 4, flush_timeout: '50ms' }) }, sender, {}, { sleep: clock.sleep, now: clock.now });
    await started;
    await consumeAll(exporter, [['a', 'b'], ['c', 'd']]);
    await eventually(async () => (await metric(settings.telemetry.exporterSent, ID)) === 4, 'delivered after a retry');
    expect(sender.requests.map((r) => r.records)).toEqual([4, 4]);
    expect(await metric(settings.telemetry.exporterRetries, ID)).toBe(1);
    expect(await metric(settings.telemetry.queueSize, ID)).toBe(0);
  });

  it('dead-letters each request of a batch the backend refuses for good on its own, with the reason', async () => {
    const { dir, storage } = await fileStorage();
    const sender = new RecordingSender([], permanent('400 Bad Request: schema'));
    const { exporter, settings, started } = await start({ storage: 'file_storage', batch: batchSchema.parse({ min_size: 3, flush_timeout: '10s' }) }, sender, { file_storage: storage });
    await started;
    await consumeAll(exporter, [['a'], ['b', 'c']]);
    await eventually(async () => (await metric(settings.telemetry.deadLettered, { ...ID, reason: 'permanent' })) === 3, 'dead-lettered');
    // The batch, then each half alone: one refused request cannot spoil the others.
    expect(sender.requests.map((r) => r.records)).toEqual([3, 1, 2]);
    expect(await metric(settings.telemetry.exporterSendFailed, ID)).toBe(3);
    await exporter.shutdown();
    await storage.shutdown();
    const dead = await deadLettersIn(dir, 'otlphttp/test');
    expect(dead.map((d) => d.records)).toEqual([1, 2]);
    for (const d of dead) expect(d.reason).toBe('permanent: 400 Bad Request: schema');
  });

  it('halves a batch the backend refuses for good until only the poison request is dead-lettered; the rest is delivered once', async () => {
    const { dir, storage } = await fileStorage();
    const sender = new RecordingSender([], (request) => (bodiesOf(request).includes('poison') ? permanent('400 Bad Request: invalid record') : success()));
    const { exporter, settings, started } = await start({ storage: 'file_storage', batch: batchSchema.parse({ min_size: 5, flush_timeout: '10s' }) }, sender, { file_storage: storage });
    await started;
    await consumeAll(exporter, [['a'], ['poison', 'b'], ['c'], ['d']]);
    await eventually(async () => (await metric(settings.telemetry.exporterSent, ID)) === 3, 'the others delivered');
    await eventually(async () => (await metric(settings.telemetry.deadLettered, { ...ID, reason: 'permanent' })) === 2, 'the poison request dead-lettered');
    expect(sender.requests.map((r) => r.records)).toEqual([5, 3, 1, 2, 2]);
    expect(sender.delivered.sort()).toEqual(['a', 'c', 'd']);
    expect(await metric(settings.telemetry.exporterSendFailed, ID)).toBe(2);
    expect(await metric(settings.telemetry.redelivered, ID)).toBe(0);
    expect(await metric(settings.telemetry.queueSize, ID)).toBe(0);
    await exporter.shutdown();
    await storage.shutdown();
    const dead = await deadLettersIn(dir, 'otlphttp/test');
    expect(dead.map((d) => [d.records, d.reason])).toEqual([[2, 'permanent: 400 Bad Request: invalid record']]);
  });

  it('merges decoded requests for senders that read records rather than bytes', async () => {
    const sender = new RecordingSender();
    Object.defineProperty(sender, 'sendsBytes', { value: false });
    const { exporter, settings, started } = await start({ batch: batchSchema.parse({ min_size: 3, flush_timeout: '50ms' }) }, sender);
    await started;
    await exporter.consume(logsOf('x'));
    await exporter.consume(logsOf('y', 'z'));
    await eventually(async () => (await metric(settings.telemetry.exporterSent, ID)) === 3, 'sent');
    expect(sender.delivered).toEqual(['x', 'y', 'z']);
  });
});

describe('sending_queue.batch config', () => {
  it('takes the Collector defaults from an empty batch block', () => {
    expect(sendingQueueSchema.parse({ batch: null }).batch).toEqual({ flush_timeout: 200, sizer: 'items', min_size: 8192, max_size: 0 });
    expect(sendingQueueSchema.parse({ batch: { flush_timeout: '1s', sizer: 'bytes', min_size: 1000, max_size: 2000 } }).batch).toEqual({ flush_timeout: 1000, sizer: 'bytes', min_size: 1000, max_size: 2000 });
    expect(sendingQueueSchema.parse({}).batch).toBeUndefined();
  });

  it('refuses a max_size below min_size, and unknown keys', () => {
    expect(sendingQueueSchema.safeParse({ batch: { min_size: 100, max_size: 10 } }).error?.issues[0]?.message).toMatch(/max_size \(10\) must be 0 \(no limit\) or at least min_size \(100\)/);
    expect(sendingQueueSchema.safeParse({ batch: { min_items: 5 } }).success).toBe(false);
  });
});
