import { describe, expect, it } from 'vitest';
import { evaluate, firstRecord, logsOf, plainAttrs, transform } from './harness.js';

/** ParseKeyValue, as the Collector's: quotes respected and dropped, keys and values trimmed. */
describe('OTTL ParseKeyValue', () => {
  const record = { attributes: {}, body: '' };

  it.each([
    ['ParseKeyValue("k1=v1 k2=v2 k3=v3")', { k1: 'v1', k2: 'v2', k3: 'v3' }],
    ['ParseKeyValue("k1!v1_k2!v2", "!", "_")', { k1: 'v1', k2: 'v2' }],
    ['ParseKeyValue("name=\\"Joe Smith\\" role=\'site admin\' url=http://x/?a=b")', { name: 'Joe Smith', role: 'site admin', url: 'http://x/?a=b' }],
    ['ParseKeyValue("  a=1   b=2 ")', { a: '1', b: '2' }],
    ['ParseKeyValue("k1=\\" v1 \\" \\"k 2\\"=v2")', { k1: 'v1', 'k 2': 'v2' }],
    ['ParseKeyValue("a=1 a=2")', { a: '2' }],
    ['ParseKeyValue("k1: v1, k2: v2", ":", ", ")', { k1: 'v1', k2: 'v2' }],
    ['ParseKeyValue("empty=")', { empty: '' }],
  ])('parses %s', async (expr, expected) => {
    expect(await evaluate(expr, record)).toEqual(expected);
  });

  it.each([
    ['ParseKeyValue("a=1 b")', /cannot split "b" into 2 items/],
    ['ParseKeyValue("a=\\"1 b=2")', /never reached the end of a quoted value/],
    ['ParseKeyValue("")', /cannot parse from empty target/],
    ['ParseKeyValue(5)', /expects a string, got an int/],
  ])('reports %s as a statement error', async (expr, message) => {
    await expect(evaluate(expr, record)).rejects.toThrow(message);
  });

  it('refuses equal or empty delimiters when the config loads', async () => {
    await expect(evaluate('ParseKeyValue("a=1", "=", "=")', record)).rejects.toThrow(/cannot be equal to delimiter/);
    await expect(evaluate('ParseKeyValue("a=1", "")', record)).rejects.toThrow(/delimiter cannot be set to an empty string/);
  });

  it('merges parsed pairs into attributes, the common use', async () => {
    const out = await transform(['merge_maps(attributes, ParseKeyValue(body), "upsert")'], logsOf([{ body: 'user=ann action=login status=ok', attributes: { status: 'pending' } }]));
    expect(plainAttrs(firstRecord(out).attributes)).toEqual({ status: 'ok', user: 'ann', action: 'login' });
  });
});
