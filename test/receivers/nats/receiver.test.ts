import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { PermanentError, RetryableError } from '../../../src/errors.js';
import type { Logs } from '../../../src/pdata/model.js';
import { encodeLogs } from '../../../src/pdata/proto.js';
import type { Component, LogsConsumer } from '../../../src/pipeline/component.js';
import { natsReceiverFactory } from '../../../src/receivers/nats/factory.js';
import { Telemetry } from '../../../src/telemetry/telemetry.js';
import { natsServerMissing, startNatsServer, type NatsServer } from '../../helpers/nats-server.js';
import { captureLogger } from '../../exporters/datadog/capture-logger.js';
import { numberedLogs } from '../../exporters/datadog/build-logs.js';
import { metricTotal } from '../../exporters/consume-helpers.js';

const host = { getExtension: () => undefined };
const seqsOf = (logs: Logs) => logs.resourceLogs.flatMap((rl) => rl.scopeLogs.flatMap((sl) => sl.logRecords.map((r) => Number(r.attributes[0]!.value!.intValue))));

async function outcome(telemetry: Telemetry, which: string): Promise<number> {
  const m = await telemetry.registry.getSingleMetric('gateway_nats_receiver_messages_total')?.get();
  return m?.values.filter((v) => v.labels.outcome === which).reduce((s, v) => s + v.value, 0) ?? 0;
}

describe.skipIf(natsServerMissing !== undefined)('nats receiver against a real nats-server (JetStream)', () => {
  let server: NatsServer;
  let nc: NatsConnection;
  let receiver: Component | undefined;
  let n = 0;
  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
  });
  afterAll(async () => {
    await nc?.close();
    await server?.stop();
  });
  afterEach(async () => {
    await receiver?.shutdown();
    receiver = undefined;
  });

  /** A fresh stream per test, with `messages` OTLP requests of 3 records each already in it. */
  async function streamWith(messages: number, raw: Uint8Array[] = []): Promise<{ stream: string; subject: string }> {
    n++;
    const stream = `RCV_${n}`;
    const subject = `rcv.${n}`;
    await (await jetstreamManager(nc)).streams.add({ name: stream, subjects: [subject] });
    const js = jetstream(nc);
    for (let i = 0; i < messages; i++) {
      const logs = numberedLogs(3, 20);
      for (const rl of logs.resourceLogs) for (const sl of rl.scopeLogs) sl.logRecords.forEach((r, j) => (r.attributes[0]!.value = { intValue: BigInt(i * 3 + j) }));
      await js.publish(subject, encodeLogs(logs));
    }
    for (const r of raw) await js.publish(subject, r);
    return { stream, subject };
  }

  function build(config: Record<string, unknown>, next: LogsConsumer) {
    const telemetry = new Telemetry({ processMetrics: false });
    const parsed = natsReceiverFactory.schema.parse({ url: server.url, ...config });
    receiver = natsReceiverFactory.create({ id: 'nats', telemetry, logger: captureLogger() }, parsed, next);
    return { receiver, telemetry };
  }

  async function pending(stream: string, consumer: string) {
    const info = await (await jetstreamManager(nc)).consumers.info(stream, consumer);
    return { ackPending: info.num_ack_pending, waiting: info.num_pending, config: info.config };
  }

  it('hands every message on and acks it only after consume resolved', async () => {
    const { stream, subject } = await streamWith(20);
    const got: number[] = [];
    const { receiver, telemetry } = build({ stream, subject, consumer: 'workers' }, { consume: async (logs) => void got.push(...seqsOf(logs)) });
    await receiver.start(host);
    await vi.waitFor(() => expect(got.length).toBe(60), { timeout: 30_000 });
    expect([...got].sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    await vi.waitFor(async () => expect(await pending(stream, 'workers')).toMatchObject({ ackPending: 0, waiting: 0 }), { timeout: 30_000 });
    expect(await metricTotal(telemetry, 'otelcol_receiver_accepted_log_records_total')).toBe(60);
    expect(await outcome(telemetry, 'ack')).toBe(20);
  });

  it('naks a message the pipeline refuses for now, and JetStream delivers it again until accepted', async () => {
    const { stream, subject } = await streamWith(1);
    let calls = 0;
    const got: number[] = [];
    const { receiver, telemetry } = build({ stream, subject, consumer: 'retry', nak_delay: '100ms' }, {
      consume: async (logs) => {
        calls++;
        if (calls <= 2) throw new RetryableError('queue full', 50, 'QUEUE_FULL');
        got.push(...seqsOf(logs));
      },
    });
    await receiver.start(host);
    await vi.waitFor(() => expect(got).toEqual([0, 1, 2]), { timeout: 30_000 });
    expect(calls).toBe(3);
    expect(await outcome(telemetry, 'nak')).toBe(2);
    await vi.waitFor(async () => expect((await pending(stream, 'retry')).ackPending).toBe(0), { timeout: 30_000 });
  });

  it('terminates a message that is not an OTLP request: counted, never handed on, never redelivered', async () => {
    const garbage = Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]);
    const { stream, subject } = await streamWith(2, [garbage]);
    const got: number[] = [];
    const { receiver, telemetry } = build({ stream, subject, consumer: 'strict', ack_wait: '1s' }, { consume: async (logs) => void got.push(...seqsOf(logs)) });
    await receiver.start(host);
    await vi.waitFor(async () => expect(await outcome(telemetry, 'term')).toBe(1), { timeout: 30_000 });
    await vi.waitFor(() => expect(got.length).toBe(6), { timeout: 30_000 });
    // Past ack_wait: a terminated message is not delivered again.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await outcome(telemetry, 'term')).toBe(1);
    expect(await metricTotal(telemetry, 'gateway_receiver_refused_requests_total')).toBe(1);
    expect(await pending(stream, 'strict')).toMatchObject({ ackPending: 0, waiting: 0 });
  });

  it('terminates a message the pipeline refuses for good, counting its records as refused', async () => {
    const { stream, subject } = await streamWith(1);
    let calls = 0;
    const { receiver, telemetry } = build({ stream, subject, consumer: 'refuse', ack_wait: '1s' }, {
      consume: async () => {
        calls++;
        throw new PermanentError('not for this pipeline');
      },
    });
    await receiver.start(host);
    await vi.waitFor(async () => expect(await outcome(telemetry, 'term')).toBe(1), { timeout: 30_000 });
    await new Promise((r) => setTimeout(r, 1_500));
    expect(calls).toBe(1);
    expect(await metricTotal(telemetry, 'otelcol_receiver_refused_log_records_total')).toBe(3);
    expect(await pending(stream, 'refuse')).toMatchObject({ ackPending: 0, waiting: 0 });
  });

  it('never has more than max_ack_pending messages in flight (backpressure)', async () => {
    const { stream, subject } = await streamWith(30);
    let inFlight = 0;
    let peak = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let done = 0;
    const { receiver } = build({ stream, subject, consumer: 'slow', max_ack_pending: 4 }, {
      consume: async () => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await gate;
        inFlight--;
        done++;
      },
    });
    await receiver.start(host);
    await vi.waitFor(() => expect(inFlight).toBe(4), { timeout: 30_000 });
    await new Promise((r) => setTimeout(r, 500));
    expect(inFlight).toBe(4);
    expect((await pending(stream, 'slow')).config.max_ack_pending).toBe(4);
    release();
    await vi.waitFor(() => expect(done).toBe(30), { timeout: 30_000 });
    expect(peak).toBe(4);
  });

  it('messages a stopped receiver left unacked go to the next receiver on the same durable consumer', async () => {
    const { stream, subject } = await streamWith(5);
    const telemetry = new Telemetry({ processMetrics: false });
    const config = natsReceiverFactory.schema.parse({ url: server.url, stream, subject, consumer: 'durable', nak_delay: '200ms' });
    // The first receiver's pipeline refuses everything for now: nothing is acked, then it stops.
    const first = natsReceiverFactory.create({ id: 'nats', telemetry, logger: captureLogger() }, config, { consume: async () => Promise.reject(new RetryableError('down', 200)) });
    await first.start(host);
    await vi.waitFor(async () => expect(await outcome(telemetry, 'nak')).toBeGreaterThanOrEqual(5), { timeout: 30_000 });
    await first.shutdown();
    const got: number[] = [];
    const { receiver: second } = build({ stream, subject, consumer: 'durable', nak_delay: '200ms' }, { consume: async (logs) => void got.push(...seqsOf(logs)) });
    await second.start(host);
    await vi.waitFor(() => expect([...got].sort((a, b) => a - b)).toEqual(Array.from({ length: 15 }, (_, i) => i)), { timeout: 30_000 });
    await vi.waitFor(async () => expect(await pending(stream, 'durable')).toMatchObject({ ackPending: 0, waiting: 0 }), { timeout: 30_000 });
  });

  it('starts while NATS is unreachable and consumes once the server is there', async () => {
    const late = await startNatsServer();
    await late.kill();
    try {
      const got: number[] = [];
      const { receiver } = build({ url: late.url, stream: 'LATE', subject: 'late.logs' }, { consume: async (logs) => void got.push(...seqsOf(logs)) });
      await receiver.start(host);
      await late.restart();
      const lateNc = await connect({ servers: late.url });
      try {
        // The receiver creates the stream once connected; publish when it exists.
        const jsm = await jetstreamManager(lateNc);
        await vi.waitFor(async () => expect((await jsm.streams.info('LATE')).config.name).toBe('LATE'), { timeout: 30_000, interval: 200 });
        await jetstream(lateNc).publish('late.logs', encodeLogs(numberedLogs(3, 10)));
        await vi.waitFor(() => expect(got).toEqual([0, 1, 2]), { timeout: 30_000 });
      } finally {
        await lateNc.close();
      }
    } finally {
      await receiver?.shutdown();
      receiver = undefined;
      await late.stop();
    }
  });

  it('fails to start when NATS refuses the credentials, without the secret in the error', async () => {
    const secured = await startNatsServer({ args: ['--auth', 'right-token-123456'] });
    try {
      const { receiver } = build({ url: secured.url, token: 'wrong-token-abcdef', stream: 'S', subject: 's' }, { consume: async () => {} });
      const err = await receiver.start(host).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(err?.message).toMatch(/receiver nats: cannot connect to NATS/);
      expect(err?.message).not.toContain('wrong-token-abcdef');
    } finally {
      await secured.stop();
    }
  });
});

describe('nats receiver config', () => {
  it('has the documented defaults and refuses unknown keys', () => {
    expect(natsReceiverFactory.schema.parse({})).toMatchObject({ stream: 'OTEL_LOGS', subject: 'otel.logs', consumer: 'make-otel-gateway', max_ack_pending: 1000, ack_wait: 30_000 });
    expect(natsReceiverFactory.schema.safeParse({ max_ack_pending: 0 }).success).toBe(false);
    expect(natsReceiverFactory.schema.safeParse({ consumer: 'a.b' }).success).toBe(false);
    expect(natsReceiverFactory.schema.safeParse({ queue: 'x' }).success).toBe(false);
    expect(natsReceiverFactory.schema.safeParse({ subject: 'logs.>' }).success).toBe(true);
  });
});
