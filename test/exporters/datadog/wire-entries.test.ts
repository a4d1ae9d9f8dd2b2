import { describe, expect, it } from 'vitest';
import { toDatadogEntry, type MappingOptions } from '../../../src/exporters/datadog/mapping.js';
import { MAX_ENTRY_BYTES, TRUNCATED_KEY, serializeEntry } from '../../../src/exporters/datadog/payload.js';
import { JsonBytes } from '../../../src/exporters/datadog/json-bytes.js';
import { batchBody, entryJson } from '../../../src/exporters/datadog/entry-buffer.js';
import { datadogEntriesFromWire } from '../../../src/exporters/datadog/wire-entries.js';
import { flattenRecords } from '../../../src/exporters/helper/split.js';
import { newLogRecord } from '../../../src/pdata/model.js';
import { decodeLogs, encodeLogs } from '../../../src/pdata/proto.js';
import { attr } from '../../../src/pdata/values.js';
import { corpus } from '../../pdata/corpus.js';
import { logsOf } from './build-logs.js';

/** The slow path: decode, map each record to an object, serialize (mapping.ts, payload.ts). */
function slowEntries(bytes: Uint8Array, options: MappingOptions) {
  return flattenRecords(decodeLogs(bytes)).map((ref, index) => {
    const e = serializeEntry(ref, toDatadogEntry(ref, options));
    return e === undefined ? { index, unfit: true } : { index, entry: JSON.parse(e.json) as unknown, bytes: e.bytes };
  });
}

const OPTIONS: MappingOptions[] = [
  { source: 'otlp_log_ingestion', tags: [] },
  { source: 'bench', hostname: 'fallback-host', tags: ['team:core', 'region:eu'] },
];

describe('Datadog entries from the wire walk', () => {
  for (const options of OPTIONS) {
    for (const { name, bytes } of corpus()) {
      it(`equal the decoded mapping field for field: ${name}, tags [${options.tags.join(' ')}]`, () => {
        const slow = slowEntries(bytes, options);
        const fast = datadogEntriesFromWire(bytes, options);
        expect(fast.records).toBe(slow.length);
        expect(fast.unfit).toEqual(slow.filter((s) => s.unfit).map((s) => s.index));
        const expected = slow.filter((s) => !s.unfit);
        expect(fast.entries.map((e) => e.index)).toEqual(expected.map((s) => s.index));
        fast.entries.forEach((e, i) => {
          expect(JSON.parse(entryJson(fast, e)), `record ${e.index}`).toEqual(expected[i]!.entry);
          expect(e.bytes).toBe(Buffer.byteLength(entryJson(fast, e)));
        });
      });

      it(`writes the same bytes as JSON.stringify of the decoded mapping: ${name}, tags [${options.tags.join(' ')}]`, () => {
        const slow = flattenRecords(decodeLogs(bytes)).map((ref) => serializeEntry(ref, toDatadogEntry(ref, options)));
        const fast = datadogEntriesFromWire(bytes, options);
        for (const e of fast.entries) expect(entryJson(fast, e), `record ${e.index}`).toBe(slow[e.index]!.json);
      });

      it(`posts bodies that are the JSON array of the entries, with a reused buffer: ${name}, tags [${options.tags.join(' ')}]`, () => {
        const writer = new JsonBytes(16); // small, so the walk grows it
        datadogEntriesFromWire(corpus()[0]!.bytes, options, writer); // leaves other bytes behind
        const fast = datadogEntriesFromWire(bytes, options, writer);
        const expected = slowEntries(bytes, options).filter((s) => !s.unfit).map((s) => s.entry);
        const whole = batchBody(fast, fast.entries);
        const wholeText = whole.toString('utf8');
        expect(JSON.parse(wholeText)).toEqual(expected);
        // Every other entry: not consecutive in the buffer.
        const odd = fast.entries.filter((_, i) => i % 2 === 1);
        expect(JSON.parse(batchBody(fast, odd).toString('utf8'))).toEqual(expected.filter((_, i) => i % 2 === 1));
        // Halves after the whole (as after a 413), then thirds: each right, and no body sent before changed.
        const n = fast.entries.length;
        for (const parts of [2, 3]) {
          for (let k = 0; k < parts; k++) {
            const from = Math.floor((k * n) / parts);
            const to = Math.floor(((k + 1) * n) / parts);
            if (from === to) continue;
            expect(JSON.parse(batchBody(fast, fast.entries.slice(from, to)).toString('utf8'))).toEqual(expected.slice(from, to));
          }
        }
        expect(whole.toString('utf8')).toBe(wholeText);
        expect(batchBody(fast, []).toString('utf8')).toBe('[]');
      });
    }
  }

  it('sends consecutive batches of one request in place, none changing another', () => {
    const { bytes } = corpus()[0]!; // the corners: dozens of records
    const fast = datadogEntriesFromWire(bytes, OPTIONS[0]!);
    const n = fast.entries.length;
    expect(n).toBeGreaterThan(3);
    const cuts = [0, 1, Math.floor(n / 2), n - 1, n];
    const bodies = cuts.slice(1).map((to, i) => batchBody(fast, fast.entries.slice(cuts[i], to)));
    // In place: views of the walk's buffer, not copies.
    for (const b of bodies) expect(b.buffer).toBe(fast.out.buffer);
    const texts = bodies.map((b) => b.toString('utf8'));
    const expected = slowEntries(bytes, OPTIONS[0]!).filter((s) => !s.unfit).map((s) => s.entry);
    expect(texts.flatMap((t) => JSON.parse(t) as unknown[])).toEqual(expected);
  });

  it('writes no key twice where a record key meets a resource key or a reserved field', () => {
    const logs = logsOf([newLogRecord({ attributes: [attr('service.name', 'record'), attr('status', 'attr'), attr('a', 1), attr('a', 2)], severityNumber: 9 })], [attr('service.name', 'res'), attr('x', 1)]);
    const walked = datadogEntriesFromWire(encodeLogs(logs), OPTIONS[0]!);
    const json = entryJson(walked, walked.entries[0]!);
    const keys = [...json.matchAll(/"([^"]+)":/g)].map((m) => m[1]);
    expect(new Set(keys).size).toBe(keys.length);
    expect(JSON.parse(json)).toMatchObject({ 'service.name': 'record', status: 'info', a: 2, x: 1, service: 'res' });
  });

  it('cuts a message above 1 MB as the decoded path does, and hands back a record that cannot fit', () => {
    const logs = logsOf([
      newLogRecord({ body: { stringValue: 'é'.repeat(MAX_ENTRY_BYTES) }, attributes: [attr('k', 'v')] }),
      newLogRecord({ body: { stringValue: 'small' }, attributes: [attr('huge', 'x'.repeat(MAX_ENTRY_BYTES + 10))] }),
      newLogRecord({ body: { stringValue: 'fine' } }),
    ]);
    const fast = datadogEntriesFromWire(encodeLogs(logs), OPTIONS[0]!);
    expect(fast.unfit).toEqual([1]);
    expect(fast.entries.map((e) => e.index)).toEqual([0, 2]);
    const cut = JSON.parse(entryJson(fast, fast.entries[0]!));
    expect(cut[TRUNCATED_KEY]).toBe(true);
    expect(fast.entries[0]!.bytes).toBeLessThanOrEqual(MAX_ENTRY_BYTES);
    expect(cut).toEqual(slowEntries(encodeLogs(logs), OPTIONS[0]!)[0]!.entry);
  });
});
