import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { encode } from '@msgpack/msgpack';
import { GatewayError, RetryableError } from '../../../src/errors.js';
import type { Logs } from '../../../src/pdata/model.js';
import { fluentforwardReceiverSchema } from '../../../src/receivers/fluentforward/config.js';
import { FluentforwardReceiver } from '../../../src/receivers/fluentforward/receiver.js';
import { Telemetry } from '../../../src/telemetry/telemetry.js';
import { FluentForwardClient } from '../../fakes/fluent-forward-client.js';
import { testCa } from '../../helpers/test-ca.js';
import { captureLogger, Sink } from '../make/helpers.js';

const stops: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

async function startReceiver(sink: Sink) {
  const telemetry = new Telemetry({ processMetrics: false });
  const logger = captureLogger();
  const receiver = new FluentforwardReceiver({ id: 'fluentforward', telemetry, logger }, fluentforwardReceiverSchema.parse({ endpoint: '127.0.0.1:0' }), sink);
  await receiver.start({ getExtension: () => undefined });
  stops.push(() => receiver.shutdown());
  const client = await FluentForwardClient.connect(receiver.port);
  stops.push(() => client.close());
  return { receiver, telemetry, logger, client };
}

async function metric(telemetry: Telemetry, name: string, labels: Record<string, string>): Promise<number> {
  const m = (await telemetry.registry.getSingleMetric(name)!.get()).values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x));
  return m?.value ?? 0;
}

const attrs = (sink: Sink) => sink.records().map((r) => r.attributes);
const bodies = (sink: Sink) => sink.records().map((r) => r.record.body?.stringValue);

describe('fluentforward receiver', () => {
  it('takes all four modes, maps log/message to the body and the tag to fluent.tag, and acks each chunk after the commit', async () => {
    const sink = new Sink();
    const { client, telemetry } = await startReceiver(sink);
    await client.message('app.web', { seconds: 1700000000, nanoseconds: 123456789 }, { log: 'one', level: 'info' });
    await client.forward('app.web', [[1700000001, { message: 'two', n: 7 }], [1700000002, { log: 'three' }]]);
    await client.packedForward('app.db', [[{ seconds: 1700000003, nanoseconds: 0 }, { log: 'four', nested: { k: ['a', 1] } }]]);
    await client.compressedPackedForward('app.db', [[1700000004, { log: 'five' }], [1700000005, { message: 'six' }]]);
    expect(bodies(sink)).toEqual(['one', 'two', 'three', 'four', 'five', 'six']);
    expect(attrs(sink)[0]).toEqual({ 'fluent.tag': 'app.web', level: 'info' });
    expect(attrs(sink)[1]).toEqual({ 'fluent.tag': 'app.web', n: 7n });
    expect(attrs(sink)[3]).toMatchObject({ 'fluent.tag': 'app.db' });
    expect(sink.records()[0]!.record.timeUnixNano).toBe(1700000000123456789n);
    expect(sink.records()[1]!.record.timeUnixNano).toBe(1700000001000000000n);
    expect(client.protocolErrors).toEqual([]);
    expect(await metric(telemetry, 'otelcol_receiver_accepted_log_records_total', { receiver: 'fluentforward', transport: 'tcp' })).toBe(6);
  });

  it("takes Fluent Bit's own event format ([[time, metadata], record], as its forward output sends) and keeps non-empty metadata in fluent.metadata", async () => {
    const sink = new Sink();
    const { client, telemetry } = await startReceiver(sink);
    await client.fluentBitForward('app.fb', [[{ seconds: 1700000010, nanoseconds: 5 }, { message: 'from fluent bit', n: 42 }]]);
    await client.fluentBitForward('app.fb', [[1700000011, { log: 'with metadata' }]], { otlp: { severity_number: 9 } });
    expect(bodies(sink)).toEqual(['from fluent bit', 'with metadata']);
    expect(sink.records()[0]!.record.timeUnixNano).toBe(1700000010000000005n);
    expect(attrs(sink)[0]).toEqual({ 'fluent.tag': 'app.fb', n: 42n });
    expect(attrs(sink)[1]).toEqual({ 'fluent.tag': 'app.fb', 'fluent.metadata': { otlp: { severity_number: 9n } } });
    expect(client.protocolErrors).toEqual([]);
    expect(await metric(telemetry, 'otelcol_receiver_accepted_log_records_total', { receiver: 'fluentforward', transport: 'tcp' })).toBe(2);
  });

  it('refuses a record nested deeper than OTLP allows (64) as malformed instead of acknowledging it, and takes one at the limit', async () => {
    const nest = (levels: number): unknown => (levels === 0 ? 'leaf' : [nest(levels - 1)]);
    const sink = new Sink();
    const { client, telemetry } = await startReceiver(sink);
    await client.forward('app.deep', [[1700000020, { log: 'at the limit', v: nest(64) }]]);
    expect(bodies(sink)).toEqual(['at the limit']);
    const refused = client.forward('app.deep', [[1700000021, { log: 'too deep', v: nest(65) }]]);
    await expect(refused).rejects.toThrow(/closed before the ack/);
    expect(bodies(sink)).toEqual(['at the limit']);
    expect(await metric(telemetry, 'gateway_receiver_refused_requests_total', { receiver: 'fluentforward', transport: 'tcp', status: 'malformed' })).toBe(1);
  });

  it('refuses a time slot that is an array but not [time, metadata map], as a unit', async () => {
    const sink = new Sink();
    const { client, telemetry } = await startReceiver(sink);
    client.writeRaw(encode(['app.fb', [[[1700000012, 'not a map'], { log: 'x' }]], { chunk: 'c1' }]));
    await client.closed;
    expect(sink.records()).toEqual([]);
    expect(await metric(telemetry, 'gateway_receiver_refused_requests_total', { receiver: 'fluentforward', transport: 'tcp', status: 'malformed' })).toBe(1);
  });

  it('does not ack a chunk the pipeline refused: it closes the connection so the client sends it again', async () => {
    const sink = new Sink();
    sink.refuseNext(new RetryableError('queue full'));
    const { client } = await startReceiver(sink);
    await expect(client.message('t', 1, { log: 'refused' })).rejects.toThrow(/closed before the ack/);
    expect(sink.records()).toEqual([]);
    const again = await FluentForwardClient.connect(await startReceiverPort(sink));
    stops.push(() => again.close());
    await again.message('t', 1, { log: 'refused' });
    expect(bodies(sink)).toEqual(['refused']);
  });

  it.each([
    ['a map where the message array belongs', encode({ not: 'an array' })],
    ['a message with a record that is not a map', encode(['tag', 1, 'not a map'])],
    ['bytes that are not msgpack', Buffer.from([0xc1, 0xc1, 0xc1])],
    ['PackedForward entries that are not [time, record]', encode(['tag', encode(['only one']), {}])],
    ['CompressedPackedForward that does not gunzip', encode(['tag', Buffer.from('not gzip'), { compressed: 'gzip' }])],
    ['a str/bin longer than the limit', Buffer.from([0xdb, 0x7f, 0xff, 0xff, 0xff])],
  ])('refuses %s: counted, connection closed, nothing ingested, the receiver keeps serving', async (_what, frame) => {
    const sink = new Sink();
    const { client, telemetry, receiver, logger } = await startReceiver(sink);
    await client.message('before', 1, { log: 'kept' });
    client.writeRaw(frame);
    await client.closed;
    expect(bodies(sink)).toEqual(['kept']);
    expect(await metric(telemetry, 'gateway_receiver_refused_requests_total', { receiver: 'fluentforward', status: 'malformed' })).toBe(1);
    expect(logger.lines.some((l) => l.level === 'warn' && l.msg.includes('malformed frame'))).toBe(true);
    const next = await FluentForwardClient.connect(receiver.port);
    stops.push(() => next.close());
    await next.message('after', 2, { log: 'still serving' });
    expect(bodies(sink)).toEqual(['kept', 'still serving']);
  });
});

/** A second receiver on the same sink, for the resend after a refusal. */
async function startReceiverPort(sink: Sink): Promise<number> {
  const receiver = new FluentforwardReceiver({ id: 'fluentforward', telemetry: new Telemetry({ processMetrics: false }), logger: captureLogger() }, fluentforwardReceiverSchema.parse({ endpoint: '127.0.0.1:0' }), sink);
  await receiver.start({ getExtension: () => undefined });
  stops.push(() => receiver.shutdown());
  return receiver.port;
}

describe('fluentforward receiver on the server kit', () => {
  it('fails to start with COMPONENT_START_FAILED naming receivers.<id> and the address when the port is taken', async () => {
    const blocker = createNetServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    stops.push(() => new Promise<void>((r) => blocker.close(() => r())));
    const port = (blocker.address() as AddressInfo).port;
    const receiver = new FluentforwardReceiver({ id: 'fluentforward/edge', telemetry: new Telemetry({ processMetrics: false }), logger: captureLogger() }, fluentforwardReceiverSchema.parse({ endpoint: `127.0.0.1:${port}` }), new Sink());
    const started = receiver.start({ getExtension: () => undefined });
    await expect(started).rejects.toBeInstanceOf(GatewayError);
    await expect(started).rejects.toMatchObject({ code: 'COMPONENT_START_FAILED', message: expect.stringMatching(new RegExp(`^receivers\\.fluentforward/edge: cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`)) });
  });

  it('serves Forward over TLS with the tls block, acking a chunk to a client that trusts the test CA', async () => {
    const ca = await testCa();
    const dir = await mkdtemp(join(tmpdir(), 'ff-tls-'));
    await writeFile(join(dir, 'server.pem'), ca.server.cert);
    await writeFile(join(dir, 'server.key'), ca.server.key);
    const sink = new Sink();
    const config = fluentforwardReceiverSchema.parse({ endpoint: '127.0.0.1:0', tls: { cert_file: join(dir, 'server.pem'), key_file: join(dir, 'server.key') } });
    const receiver = new FluentforwardReceiver({ id: 'fluentforward', telemetry: new Telemetry({ processMetrics: false }), logger: captureLogger() }, config, sink);
    await receiver.start({ getExtension: () => undefined });
    stops.push(() => receiver.shutdown());
    const client = await FluentForwardClient.connect(receiver.port, '127.0.0.1', { ca: await readFile(ca.caFile) });
    stops.push(() => client.close());
    await client.message('secure', 1, { log: 'over tls' });
    expect(bodies(sink)).toEqual(['over tls']);
    expect(client.protocolErrors).toEqual([]);
    // A plain-TCP client gets no ack and nothing is ingested.
    const plain = await FluentForwardClient.connect(receiver.port);
    stops.push(() => plain.close());
    await expect(plain.message('plain', 2, { log: 'not tls' })).rejects.toThrow(/closed before the ack/);
    expect(bodies(sink)).toEqual(['over tls']);
  });

  it('fails to start naming receivers.<id>.tls.cert_file when the certificate cannot be read', async () => {
    const config = fluentforwardReceiverSchema.parse({ endpoint: '127.0.0.1:0', tls: { cert_file: '/nonexistent/cert.pem', key_file: '/nonexistent/key.pem' } });
    const receiver = new FluentforwardReceiver({ id: 'fluentforward', telemetry: new Telemetry({ processMetrics: false }), logger: captureLogger() }, config, new Sink());
    await expect(receiver.start({ getExtension: () => undefined })).rejects.toMatchObject({ code: 'COMPONENT_START_FAILED', message: expect.stringContaining('receivers.fluentforward.tls.cert_file') });
  });

  it('on shutdown ends idle connections at once and lets a message the pipeline holds finish and be acked', async () => {
    const sink = new HoldingSink();
    const { receiver, client } = await startReceiver(sink);
    const idle = await FluentForwardClient.connect(receiver.port);
    stops.push(() => idle.close());
    let release!: () => void;
    sink.holdNext(new Promise<void>((r) => (release = r)));
    const acked = client.message('slow', 1, { log: 'in flight' });
    await vi.waitFor(() => expect(sink.held).toBe(1));
    const stopping = receiver.shutdown();
    await idle.closed;
    release();
    await acked;
    await stopping;
    await client.closed;
    expect(bodies(sink)).toEqual(['in flight']);
  });
});

/** A sink that holds the next message until released: a message in flight at shutdown. */
class HoldingSink extends Sink {
  held = 0;
  private gate?: Promise<void>;
  holdNext(gate: Promise<void>): void {
    this.gate = gate;
  }
  override async consume(logs: Logs): Promise<void> {
    const gate = this.gate;
    this.gate = undefined;
    if (gate) {
      this.held++;
      await gate;
    }
    return super.consume(logs);
  }
}
