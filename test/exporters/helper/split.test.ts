import { describe, expect, it } from 'vitest';
import { flattenRecords, packBySize, regroupRecords, sendInBatches, type BatchOutcome } from '../../../src/exporters/helper/split.js';
import { permanent, retryable, success } from '../../../src/exporters/helper/sender.js';
import { newLogRecord, type Logs } from '../../../src/pdata/model.js';
import { attr } from '../../../src/pdata/values.js';

describe('size-bounded batching', () => {
  it('packs in order into as few batches as the byte and item limits allow', () => {
    const { batches, oversize } = packBySize([40, 40, 40, 10, 10, 10, 10], (n) => n, { maxBytes: 100, maxItems: 3, baseBytes: 2, separatorBytes: 1 });
    expect(batches).toEqual([[40, 40], [40, 10, 10], [10, 10]]);
    expect(oversize).toEqual([]);
  });

  it('sets aside an item that alone exceeds the byte limit and keeps packing the rest', () => {
    const { batches, oversize } = packBySize([10, 200, 10], (n) => n, { maxBytes: 100 });
    expect(batches).toEqual([[10, 10]]);
    expect(oversize).toEqual([200]);
  });

  it('halves a batch answered "too large", sets aside a single item still too large, and keeps order', async () => {
    const sent: number[][] = [];
    const outcome = await sendInBatches([[1, 2, 3, 4], [5]], async (batch): Promise<BatchOutcome> => {
      if (batch.length > 2 || batch.includes(4)) return { kind: 'too_large', reason: 'HTTP 413' };
      sent.push(batch);
      return success();
    });
    expect(sent).toEqual([[1, 2], [3], [5]]);
    expect(outcome).toMatchObject({ delivered: 4, tooLarge: [4], tooLargeReason: 'HTTP 413' });
    expect(outcome.failure).toBeUndefined();
  });

  it('stops at the first retryable or permanent answer and reports it', async () => {
    let calls = 0;
    const outcome = await sendInBatches([[1], [2], [3]], async () => (++calls === 2 ? retryable('HTTP 503', 1000) : success()));
    expect(calls).toBe(2);
    expect(outcome.failure).toEqual(retryable('HTTP 503', 1000));
    const stopped = await sendInBatches([[1], [2]], async () => permanent('HTTP 403'));
    expect(stopped).toMatchObject({ delivered: 0, failure: { kind: 'permanent' } });
  });

  it('regroups a subset of records under their own resources and scopes', () => {
    const rec = (n: number) => newLogRecord({ attributes: [attr('n', n)] });
    const logs: Logs = {
      resourceLogs: ['a', 'b'].map((name) => ({
        resource: { attributes: [attr('service.name', name)], droppedAttributesCount: 0 },
        schemaUrl: `url-${name}`,
        scopeLogs: [{ scope: { name: `scope-${name}`, version: '', attributes: [], droppedAttributesCount: 0 }, schemaUrl: '', logRecords: [rec(1), rec(2)] }],
      })),
    };
    const refs = flattenRecords(logs);
    expect(refs.length).toBe(4);
    const subset = regroupRecords([refs[1], refs[2]]);
    expect(subset.resourceLogs.map((rl) => [rl.resource?.attributes, rl.schemaUrl, rl.scopeLogs[0].scope?.name, rl.scopeLogs[0].logRecords])).toEqual([
      [[attr('service.name', 'a')], 'url-a', 'scope-a', [logs.resourceLogs[0].scopeLogs[0].logRecords[1]]],
      [[attr('service.name', 'b')], 'url-b', 'scope-b', [logs.resourceLogs[1].scopeLogs[0].logRecords[0]]],
    ]);
  });
});
