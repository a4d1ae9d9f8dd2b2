import { afterEach, describe, expect, it } from 'vitest';
import fluent from 'fluent-logger';
import { fluentforwardReceiverSchema } from '../../../src/receivers/fluentforward/config.js';
import { FluentforwardReceiver } from '../../../src/receivers/fluentforward/receiver.js';
import { Telemetry } from '../../../src/telemetry/telemetry.js';
import { captureLogger, Sink } from '../make/helpers.js';

/**
 * Interop with a real Forward client: fluent-logger, the Fluentd project's own Node.js sender, in
 * each of its three event modes with `requireAckResponse` (it waits for `{ack: chunk}` before calling
 * back). Fluent Bit's forward output was checked by hand against the built gateway (its event
 * format is in the strict fake, test/fakes/fluent-forward-client.ts).
 */
const stops: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

async function receiver(sink: Sink): Promise<number> {
  const r = new FluentforwardReceiver(
    { id: 'fluentforward', telemetry: new Telemetry({ processMetrics: false }), logger: captureLogger() },
    fluentforwardReceiverSchema.parse({ endpoint: '127.0.0.1:0' }),
    sink,
  );
  await r.start({ getExtension: () => undefined });
  stops.push(() => r.shutdown());
  return r.port!;
}

describe('fluentforward with the fluent-logger client', () => {
  it.each(['Message', 'PackedForward', 'CompressedPackedForward'])('delivers every event of %s mode, each acknowledged, with its tag and fields', async (mode) => {
    const sink = new Sink();
    const port = await receiver(sink);
    const sender = fluent.createFluentSender<Record<string, unknown>>('app', { host: '127.0.0.1', port, timeout: 5, reconnectInterval: 60_000, requireAckResponse: true, eventMode: mode });
    // Its typings want end(label, data, callback); called bare it just closes the connection.
    stops.push(() => (sender as unknown as { end(): void }).end());
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => new Promise<Error | undefined>((resolve) => sender.emit('web', { message: `event ${i}`, i, user: { id: 7 } }, (err?: Error | null) => resolve(err ?? undefined)))),
    );
    expect(results.filter((e) => e !== undefined)).toEqual([]);
    const records = sink.records();
    expect(records.map((r) => r.record.body?.stringValue).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `event ${i}`).sort());
    expect(records[0]!.attributes['fluent.tag']).toBe('app.web');
    expect(records.find((r) => r.record.body?.stringValue === 'event 3')!.attributes).toMatchObject({ i: 3n, user: { id: 7n } });
  });
});
