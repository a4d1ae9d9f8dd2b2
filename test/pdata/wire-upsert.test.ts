import { describe, expect, it } from 'vitest';
import { LazyLogs } from '../../src/pdata/lazy-logs.js';
import { countLogRecords } from '../../src/pdata/model.js';
import { decodeLogs, encodeLogs } from '../../src/pdata/proto.js';
import { scanLogs } from '../../src/pdata/proto-scan.js';
import { wireBytesOf } from '../../src/pdata/wire-bytes.js';
import { WireUpsert } from '../../src/pdata/wire-upsert.js';
import { transformProcessorFactory } from '../../src/processors/transform/factory.js';
import { wireUpsertPlan } from '../../src/processors/transform/wire-plan.js';
import { Capture, counterValue, settings } from '../ottl/harness.js';
import { corpus } from './corpus.js';

/** Runs the transform processor on `logs` (a LazyLogs takes the wire path when the plan allows it). */
async function run(statements: unknown[], logs: LazyLogs | ReturnType<typeof decodeLogs>) {
  const config = transformProcessorFactory.schema.parse({ log_statements: statements });
  const out = new Capture();
  const s = settings();
  await transformProcessorFactory.create(s, config, out).consume(logs);
  return { logs: out.batches[0]!, telemetry: s.telemetry };
}

const STATEMENT_SETS: string[][] = [
  ['set(attributes["x"], true)'],
  ['set(log.attributes["dup"], "replaced")', 'set(attributes["n"], 42)'],
  ['set(attributes["a"], 1)', 'set(attributes["b"], 2.5)', 'set(attributes["a"], "last wins")', 'set(attributes["ключ 🚀"], "ü")'],
  ['set(attributes["big"], "' + 'z'.repeat(300) + '")', 'set(attributes[""], false)'],
];

describe('wire-level attribute upsert (transform without decoding)', () => {
  for (const statements of STATEMENT_SETS) {
    for (const { name, bytes } of corpus()) {
      it(`is byte-identical to decode → transform → encode: ${name}, ${statements.join('; ').slice(0, 60)}`, async () => {
        const slow = await run(statements, decodeLogs(bytes));
        const lazy = new LazyLogs(bytes, scanLogs(bytes).records);
        const fast = await run(statements, lazy);
        expect(fast.logs).toBe(lazy);
        expect(lazy.pristine).toBe(true); // never decoded on the way
        const out = wireBytesOf(fast.logs)!;
        expect(Buffer.from(out).equals(Buffer.from(encodeLogs(slow.logs)))).toBe(true);
        expect(scanLogs(out).records).toBe(countLogRecords(slow.logs));
        expect(await counterValue(fast.telemetry.processorOutgoing, 'transform')).toBe(countLogRecords(slow.logs));
      });
    }
  }

  it('gives the decoded result on input in another field order, with unknown fields kept', () => {
    // A record whose attributes come after trace ids, with an unknown field 99 (varint): not canonical.
    const record = Buffer.from([0x4a, 0x02, 0xaa, 0xbb, 0x32, 0x08, 0x0a, 0x01, 0x78, 0x12, 0x03, 0x0a, 0x01, 0x41, 0x98, 0x06, 0x01]);
    const wrap = (field: number, payload: Buffer) => Buffer.concat([Buffer.from([(field << 3) | 2, payload.length]), payload]);
    const bytes = wrap(1, wrap(2, wrap(2, record)));
    const upsert = new WireUpsert([
      { key: 'x', value: { boolValue: true } },
      { key: 'y', value: { intValue: 7n } },
    ]);
    const out = decodeLogs(upsert.apply(bytes)).resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!;
    expect(out.traceId).toEqual(Uint8Array.from([0xaa, 0xbb]));
    expect(out.attributes).toEqual([
      { key: 'x', value: { boolValue: true } },
      { key: 'y', value: { intValue: 7n } },
    ]);
  });

  it('is planned only for unconditional constant attribute sets in the log context', () => {
    const plan = (log_statements: unknown[]) => wireUpsertPlan(transformProcessorFactory.schema.parse({ log_statements }));
    expect(plan(['set(attributes["x"], true)', 'set(log.attributes["y"], "v")'])).toBeInstanceOf(WireUpsert);
    expect(plan([{ statements: ['set(attributes["x"], 1)'] }])).toBeInstanceOf(WireUpsert);
    expect(plan(['set(attributes["x"], true) where body == "a"'])).toBeUndefined();
    expect(plan(['set(attributes["x"], attributes["y"])'])).toBeUndefined();
    expect(plan(['set(attributes["x"], nil)'])).toBeUndefined();
    expect(plan(['set(resource.attributes["x"], true)'])).toBeUndefined();
    expect(plan(['set(attributes["x"]["y"], true)'])).toBeUndefined();
    expect(plan(['set(attributes["x"], true)', 'delete_key(attributes, "y")'])).toBeUndefined();
    expect(plan([{ conditions: ['body != nil'], statements: ['set(attributes["x"], 1)'] }])).toBeUndefined();
    expect(plan([{ context: 'resource', statements: ['set(attributes["x"], 1)'] }])).toBeUndefined();
  });
});
