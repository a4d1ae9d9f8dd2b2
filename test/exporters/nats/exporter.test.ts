import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { natsExporterFactory } from '../../../src/exporters/nats/factory.js';
import { NatsLogsSender } from '../../../src/exporters/nats/sender.js';
import type { ExportRequest } from '../../../src/exporters/helper/sender.js';
import { encodeLogs } from '../../../src/pdata/proto.js';
import { countLogRecords, type Logs } from '../../../src/pdata/model.js';
import { decodeLogs } from '../../../src/pdata/proto.js';
import type { Component, LogsConsumer } from '../../../src/pipeline/component.js';
import { Telemetry } from '../../../src/telemetry/telemetry.js';
import { natsServerMissing, startNatsServer, type NatsServer } from '../../helpers/nats-server.js';
import { captureLogger } from '../datadog/capture-logger.js';
import { numberedLogs } from '../datadog/build-logs.js';
import { consumeUntilAccepted, metricTotal } from '../consume-helpers.js';

const host = { getExtension: () => undefined };

/** Every message in `stream`, read back with a throwaway consumer: data and Nats-Msg-Id. */
async function readStream(nc: NatsConnection, stream: string, expected: number): Promise<{ data: Uint8Array; msgId?: string }[]> {
  const jsm = await jetstreamManager(nc);
  const name = `check${Math.floor(Math.random() * 1e9)}`;
  await jsm.consumers.add(stream, { durable_name: name, ack_policy: AckPolicy.None });
  const consumer = await jetstream(nc).consumers.get(stream, name);
  const out: { data: Uint8Array; msgId?: string }[] = [];
  while (out.length < expected) {
    const batch = await consumer.fetch({ max_messages: expected - out.length, expires: 2_000 });
    for await (const m of batch) out.push({ data: m.data, msgId: m.headers?.get('Nats-Msg-Id') });
  }
  await jsm.consumers.delete(stream, name);
  return out;
}

function exportRequestOf(logs: Logs): ExportRequest {
  const bytes = encodeLogs(logs);
  return { records: countLogRecords(logs), bytes: () => bytes, logs: () => logs };
}

const seqs = (data: Uint8Array[]) =>
  data.flatMap((d) => decodeLogs(d).resourceLogs.flatMap((rl) => rl.scopeLogs.flatMap((sl) => sl.logRecords.map((r) => Number(r.attributes[0]!.value!.intValue)))));

describe.skipIf(natsServerMissing !== undefined)('nats exporter against a real nats-server (JetStream)', () => {
  let server: NatsServer;
  let nc: NatsConnection;
  let exporter: (Component & LogsConsumer) | undefined;
  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
  });
  afterAll(async () => {
    await nc?.close();
    await server?.stop();
  });
  afterEach(async () => {
    await exporter?.shutdown();
    exporter = undefined;
  });

  function build(extra: Record<string, unknown>) {
    const telemetry = new Telemetry({ processMetrics: false });
    const logger = captureLogger();
    const config = natsExporterFactory.schema.parse({
      url: server.url,
      retry_on_failure: { initial_interval: '50ms', max_interval: '200ms', max_elapsed_time: 0 },
      timeout: '2s',
      ...extra,
    });
    exporter = natsExporterFactory.create({ id: 'nats', telemetry, logger }, config);
    return { exporter, telemetry, logger };
  }

  it('creates the stream, publishes each request as one message with a Nats-Msg-Id, and counts it sent after the ack', async () => {
    const { exporter, telemetry } = build({ stream: 'EXP_A', subject: 'logs.a' });
    await exporter.start(host);
    await consumeUntilAccepted(exporter, numberedLogs(10, 100));
    await consumeUntilAccepted(exporter, numberedLogs(5, 100));
    await vi.waitFor(async () => expect(await metricTotal(telemetry, 'otelcol_exporter_sent_log_records_total')).toBe(15), { timeout: 30_000 });
    const info = await (await jetstreamManager(nc)).streams.info('EXP_A');
    expect(info.config.subjects).toEqual(['logs.a']);
    expect(info.state.messages).toBe(2);
    const msgs = await readStream(nc, 'EXP_A', 2);
    expect(msgs.every((m) => typeof m.msgId === 'string' && m.msgId.length > 0)).toBe(true);
    expect(new Set(msgs.map((m) => m.msgId)).size).toBe(2);
    expect(seqs(msgs.map((m) => m.data)).sort((a, b) => a - b)).toEqual([...Array.from({ length: 10 }, (_, i) => i), 0, 1, 2, 3, 4].sort((a, b) => a - b));
  });

  it('sends a retried request with the same Nats-Msg-Id, so JetStream stores it once; another request gets another id', async () => {
    const config = natsExporterFactory.schema.parse({ url: server.url, stream: 'EXP_DEDUP', subject: 'logs.dedup' });
    const sender = new NatsLogsSender(config, 'nats', captureLogger());
    await sender.start();
    try {
      const request = exportRequestOf(numberedLogs(3, 10));
      const signal = new AbortController().signal;
      // The same request object is what the exporter helper hands over again on a retry.
      expect(await sender.send(request, signal)).toMatchObject({ kind: 'success' });
      expect(await sender.send(request, signal)).toMatchObject({ kind: 'success' });
      expect((await (await jetstreamManager(nc)).streams.info('EXP_DEDUP')).state.messages).toBe(1);
      expect(await sender.send(exportRequestOf(numberedLogs(3, 10)), signal)).toMatchObject({ kind: 'success' });
      expect((await (await jetstreamManager(nc)).streams.info('EXP_DEDUP')).state.messages).toBe(2);
    } finally {
      await sender.shutdown();
    }
  });

  it('publishes into an existing stream that captures the subject by wildcard', async () => {
    await (await jetstreamManager(nc)).streams.add({ name: 'EXP_B', subjects: ['tier.>'] });
    const { exporter, telemetry } = build({ stream: 'EXP_B', subject: 'tier.logs' });
    await exporter.start(host);
    await consumeUntilAccepted(exporter, numberedLogs(3, 50));
    await vi.waitFor(async () => expect(await metricTotal(telemetry, 'otelcol_exporter_sent_log_records_total')).toBe(3), { timeout: 30_000 });
    expect(seqs((await readStream(nc, 'EXP_B', 1)).map((m) => m.data))).toEqual([0, 1, 2]);
  });

  it('refuses to start when the stream exists but does not capture the subject', async () => {
    await (await jetstreamManager(nc)).streams.add({ name: 'EXP_C', subjects: ['other.*'] });
    const { exporter } = build({ stream: 'EXP_C', subject: 'logs.c' });
    await expect(exporter.start(host)).rejects.toThrow(/EXP_C does not capture subject logs\.c/);
  });

  it('keeps a request queued while JetStream is down and delivers it when the server is back', async () => {
    const { exporter, telemetry } = build({ stream: 'EXP_D', subject: 'logs.d' });
    await exporter.start(host);
    await server.kill();
    try {
      await consumeUntilAccepted(exporter, numberedLogs(7, 100));
      await vi.waitFor(async () => expect(await metricTotal(telemetry, 'gateway_exporter_retries_total')).toBeGreaterThan(0), { timeout: 30_000 });
      expect(await metricTotal(telemetry, 'otelcol_exporter_sent_log_records_total')).toBe(0);
    } finally {
      await server.restart();
    }
    await vi.waitFor(async () => expect(await metricTotal(telemetry, 'otelcol_exporter_sent_log_records_total')).toBe(7), { timeout: 60_000 });
    // The client reconnected the test's connection too; the message is in the stream once.
    await vi.waitFor(async () => expect((await (await jetstreamManager(nc)).streams.info('EXP_D')).state.messages).toBe(1), { timeout: 30_000 });
    expect(await metricTotal(telemetry, 'gateway_exporter_dead_lettered_log_records_total')).toBe(0);
  }, 120_000);
});

describe('nats exporter config', () => {
  const parse = (c: Record<string, unknown>) => natsExporterFactory.schema.safeParse(c);

  it('has the documented defaults', () => {
    const c = natsExporterFactory.schema.parse({});
    expect(c).toMatchObject({ url: 'nats://127.0.0.1:4222', stream: 'OTEL_LOGS', subject: 'otel.logs' });
  });

  it('refuses two authentication methods, a lone user, a wildcard subject, credentials in the URL and unknown keys', () => {
    expect(parse({ token: 't', user: 'u', password: 'p' }).success).toBe(false);
    expect(parse({ user: 'u' }).success).toBe(false);
    expect(parse({ subject: 'logs.*' }).success).toBe(false);
    expect(parse({ url: 'nats://u:p@127.0.0.1:4222' }).success).toBe(false);
    expect(parse({ url: 'http://127.0.0.1:4222' }).success).toBe(false);
    expect(parse({ endpoint: 'x' }).success).toBe(false);
    expect(parse({ tls: { cert_file: '/c.pem' } }).success).toBe(false);
    expect(parse({ url: 'tls://a:4222,tls://b:4222', tls: { ca_file: '/ca.pem' } }).success).toBe(true);
    const missing = parse({ creds_file: '/nonexistent/user.creds' });
    expect(missing.success).toBe(false);
    expect(JSON.stringify(missing.error?.issues)).toContain('cannot read \\"/nonexistent/user.creds\\" (ENOENT)');
  });
});

describe.skipIf(natsServerMissing !== undefined)('nats exporter: requests above the server max_payload', () => {
  let server: NatsServer;
  let nc: NatsConnection;
  beforeAll(async () => {
    server = await startNatsServer({ config: 'max_payload: 8192\n' });
    nc = await connect({ servers: server.url });
  });
  afterAll(async () => {
    await nc?.close();
    await server?.stop();
  });

  it('publishes a request larger than max_payload as several messages that fit, every record once', async () => {
    const telemetry = new Telemetry({ processMetrics: false });
    const config = natsExporterFactory.schema.parse({ url: server.url, stream: 'BIG', subject: 'big.logs', retry_on_failure: { initial_interval: '50ms' } });
    const exporter = natsExporterFactory.create({ id: 'nats', telemetry, logger: captureLogger() }, config);
    try {
      await exporter.start(host);
      // ~200 records of 300 bytes: about 64 KB, eight times max_payload.
      await consumeUntilAccepted(exporter, numberedLogs(200, 300));
      await vi.waitFor(async () => expect(await metricTotal(telemetry, 'otelcol_exporter_sent_log_records_total')).toBe(200), { timeout: 30_000 });
      const info = await (await jetstreamManager(nc)).streams.info('BIG');
      expect(info.state.messages).toBeGreaterThanOrEqual(8);
      const msgs = await readStream(nc, 'BIG', info.state.messages);
      expect(msgs.every((m) => m.data.length <= 8192)).toBe(true);
      expect(seqs(msgs.map((m) => m.data))).toEqual(Array.from({ length: 200 }, (_, i) => i));
      expect(await metricTotal(telemetry, 'gateway_exporter_dead_lettered_log_records_total')).toBe(0);
    } finally {
      await exporter.shutdown();
    }
  });

  it('dead-letters only a record that cannot fit on its own, and delivers the rest', async () => {
    const telemetry = new Telemetry({ processMetrics: false });
    const config = natsExporterFactory.schema.parse({ url: server.url, stream: 'BIG2', subject: 'big2.logs' });
    const exporter = natsExporterFactory.create({ id: 'nats', telemetry, logger: captureLogger() }, config);
    try {
      await exporter.start(host);
      const logs = numberedLogs(20, 1000);
      logs.resourceLogs[0]!.scopeLogs[0]!.logRecords[7]!.body = { stringValue: 'y'.repeat(20_000) };
      await consumeUntilAccepted(exporter, logs);
      await vi.waitFor(async () => expect(await metricTotal(telemetry, 'gateway_exporter_partial_rejected_log_records_total') + (await metricTotal(telemetry, 'gateway_exporter_dead_lettered_log_records_total'))).toBeGreaterThanOrEqual(1), { timeout: 30_000 });
      const info = await (await jetstreamManager(nc)).streams.info('BIG2');
      const msgs = await readStream(nc, 'BIG2', info.state.messages);
      expect(seqs(msgs.map((m) => m.data))).toEqual(Array.from({ length: 20 }, (_, i) => i).filter((i) => i !== 7));
    } finally {
      await exporter.shutdown();
    }
  });
});

describe.skipIf(natsServerMissing !== undefined)('nats exporter: NATS not there at start', () => {
  it('starts, keeps requests queued, and publishes them once the server comes up', async () => {
    const late = await startNatsServer();
    await late.kill();
    const telemetry = new Telemetry({ processMetrics: false });
    const logger = captureLogger();
    const config = natsExporterFactory.schema.parse({ url: late.url, stream: 'LATE', subject: 'late.logs', retry_on_failure: { initial_interval: '100ms', max_interval: '500ms', max_elapsed_time: 0 } });
    const exporter = natsExporterFactory.create({ id: 'nats', telemetry, logger }, config);
    try {
      await exporter.start(host);
      expect(logger.lines.join('\n')).toMatch(/server unreachable; retrying in the background/);
      await consumeUntilAccepted(exporter, numberedLogs(4, 10));
      await late.restart();
      await vi.waitFor(async () => expect(await metricTotal(telemetry, 'otelcol_exporter_sent_log_records_total')).toBe(4), { timeout: 60_000 });
    } finally {
      await exporter.shutdown();
      await late.stop();
    }
  });
});
