import { afterEach, describe, expect, it } from 'vitest';
import { encode } from '@msgpack/msgpack';
import { RetryableError } from '../../../src/errors.js';
import { fluentforwardReceiverSchema } from '../../../src/receivers/fluentforward/config.js';
import { FluentforwardReceiver } from '../../../src/receivers/fluentforward/receiver.js';
import { Telemetry } from '../../../src/telemetry/telemetry.js';
import { FluentForwardClient } from '../../fakes/fluent-forward-client.js';
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
