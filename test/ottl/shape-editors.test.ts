import { describe, expect, it } from 'vitest';
import { firstRecord, logsOf, plainAttrs, transform } from './harness.js';

/** flatten and append, as the Collector's. */
async function attrsAfter(statements: string[], attributes: Record<string, unknown>) {
  return plainAttrs(firstRecord(await transform(statements, logsOf([{ attributes }]))).attributes);
}

const nested = { name: 'test', address: { street: 'first', house: 1234n }, occupants: ['user 1', 'user 2'] };

describe('OTTL flatten', () => {
  it('with resolveConflicts keeps colliding keys under numbered suffixes, and a list under its own key, as the Collector', async () => {
    // The Collector's example: "address.street" exists flat and nested; list items share the key.
    const input = { 'address.street': 'first', address: { street: 'second', house: 1n }, occupants: ['user 1', 'user 2'] };
    expect(await attrsAfter(['flatten(attributes, resolveConflicts=true)'], input)).toEqual({
      'address.street': 'first',
      'address.street.0': 'second',
      'address.house': 1n,
      occupants: 'user 1',
      'occupants.0': 'user 2',
    });
    // Without it, the later key wins.
    expect((await attrsAfter(['flatten(attributes)'], input))['address.street']).toBe('second');
  });

  it('moves nested keys to the root as dotted keys, and list items as key.index', async () => {
    expect(await attrsAfter(['flatten(attributes)'], nested)).toEqual({ name: 'test', 'address.street': 'first', 'address.house': 1234n, 'occupants.0': 'user 1', 'occupants.1': 'user 2' });
  });

  it('puts a prefix in front of every key', async () => {
    expect(Object.keys(await attrsAfter(['flatten(attributes, "app")'], nested))).toEqual(['app.name', 'app.address.street', 'app.address.house', 'app.occupants.0', 'app.occupants.1']);
  });

  it('flattens maps inside lists, and keeps a list deeper than depth as a list, as the Collector', async () => {
    const input = { hosts: [{ name: 'a', tags: ['x', 'y'] }, 'plain'], deep: { list: [1n, 2n] } };
    expect(await attrsAfter(['flatten(attributes)'], input)).toEqual({
      'hosts.0.name': 'a',
      'hosts.0.tags.0': 'x',
      'hosts.0.tags.1': 'y',
      'hosts.1': 'plain',
      'deep.list.0': 1n,
      'deep.list.1': 2n,
    });
    expect(await attrsAfter(['flatten(attributes, depth=1)'], input)).toEqual({ 'hosts.0': { name: 'a', tags: ['x', 'y'] }, 'hosts.1': 'plain', 'deep.list': [1n, 2n] });
  });

  it('stops at depth, keeping deeper maps as maps; depth 0 changes nothing', async () => {
    const deep = { '0': { '1': { '2': { '3': { '4': 'value' } } } } };
    expect(await attrsAfter(['flatten(attributes, depth=2)'], deep)).toEqual({ '0.1.2': { '3': { '4': 'value' } } });
    expect(await attrsAfter(['flatten(attributes, depth=0)'], deep)).toEqual(deep);
  });

  it('flattens a map attribute in place, and refuses a negative depth when the config loads', async () => {
    expect(await attrsAfter(['flatten(attributes["http"])'], { http: { req: { method: 'GET' } } })).toEqual({ http: { 'req.method': 'GET' } });
    await expect(attrsAfter(['flatten(attributes, depth=-1)'], nested)).rejects.toThrow(/cannot be negative/);
  });
});

describe('OTTL append', () => {
  it('appends a value and a list of values, turning a scalar into a list and creating a missing one', async () => {
    const out = await attrsAfter(
      [
        'append(attributes["tags"], "prod")',
        'append(attributes["tags"], values = ["staging", "staging:east"])',
        'append(attributes["env"], "b")',
        'append(attributes["new"], values = [1, true])',
      ],
      { tags: ['a'], env: 'a' },
    );
    expect(out).toEqual({ tags: ['a', 'prod', 'staging', 'staging:east'], env: ['a', 'b'], new: [1n, true] });
  });

  it('refuses a map target and a call without a value', async () => {
    await expect(attrsAfter(['append(attributes["m"], "x")'], { m: { k: 'v' } })).rejects.toThrow(/unsupported type of target field/);
    await expect(attrsAfter(['append(attributes["m"])'], {})).rejects.toThrow(/at least one of the optional arguments/);
  });
});

describe('OTTL delete_index', () => {
  it('removes one item, a range, or everything', async () => {
    const out = await attrsAfter(
      ['delete_index(attributes["a"], 1)', 'delete_index(attributes["b"], 1, 3)', 'delete_index(attributes["c"], 0, 2)'],
      { a: ['x', 'y', 'z'], b: [1n, 2n, 3n, 4n], c: ['p', 'q'] },
    );
    expect(out).toEqual({ a: ['x', 'z'], b: [1n, 4n], c: [] });
  });

  it('reports an index out of bounds, a reversed range or a target that is not a list as a statement error', async () => {
    await expect(attrsAfter(['delete_index(attributes["a"], 3)'], { a: ['x'] })).rejects.toThrow(/startIndex 3 out of bounds/);
    await expect(attrsAfter(['delete_index(attributes["a"], 1, 0)'], { a: ['x', 'y'] })).rejects.toThrow(/cannot be less than startIndex/);
    await expect(attrsAfter(['delete_index(attributes["a"], 0, 5)'], { a: ['x', 'y'] })).rejects.toThrow(/out of bounds for a list of length 2/);
    await expect(attrsAfter(['delete_index(attributes["a"], 0)'], { a: 'x' })).rejects.toThrow(/expected a list/);
  });
});
