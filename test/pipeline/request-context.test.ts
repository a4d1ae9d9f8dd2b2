import { describe, expect, it } from 'vitest';
import { newLogRecord, type Logs } from '../../src/pdata/model.js';
import { decodeLogs, encodeLogs } from '../../src/pdata/proto.js';
import { attachRequestContext, contextKey, currentRequestContext, detachRequestContext, pickRequestContext, withRequestContext } from '../../src/pipeline/request-context.js';
import { contextValue, metadataFromHeaders } from '../../src/pdata/client-info.js';

const logs = (body: string): Logs => ({
  resourceLogs: [{ resource: { attributes: [], droppedAttributesCount: 0 }, schemaUrl: '', scopeLogs: [{ scope: undefined, schemaUrl: '', logRecords: [newLogRecord({ body: { stringValue: body } })] }] }],
});

describe('request metadata carried with a queued request', () => {
  it('round-trips through the bytes and leaves a request every protobuf reader still reads as the same', () => {
    const bytes = encodeLogs(logs('hello'));
    const withContext = attachRequestContext(bytes, new Map([['x-tenant', 'acme']]));
    expect(withContext.length).toBeGreaterThan(bytes.length);
    // Unknown fields are skipped by readers: the request decodes as before.
    expect(decodeLogs(withContext)).toEqual(decodeLogs(bytes));
    const { bytes: plain, context } = detachRequestContext(withContext);
    expect(Buffer.from(plain).equals(Buffer.from(bytes))).toBe(true);
    expect(context).toEqual(new Map([['x-tenant', 'acme']]));
  });

  it('leaves bytes without metadata untouched (no copy) and keeps none for an empty selection', () => {
    const bytes = encodeLogs(logs('x'));
    expect(detachRequestContext(bytes).bytes).toBe(bytes);
    expect(attachRequestContext(bytes, undefined)).toBe(bytes);
    expect(pickRequestContext({ metadata: new Map([['authorization', ['Bearer s']]]) }, ['x-tenant'])).toBeUndefined();
  });

  it('picks only the named keys, joins repeated values, and groups equal metadata under one key', () => {
    const client = { metadata: metadataFromHeaders({ 'X-Tenant': ['a', 'b'], authorization: 'Bearer s', ':path': '/v1/logs', connection: 'keep-alive' }) };
    expect([...client.metadata.keys()].sort()).toEqual(['authorization', 'x-tenant']);
    const picked = pickRequestContext(client, ['x-tenant']);
    expect(picked).toEqual(new Map([['x-tenant', 'a;b']]));
    expect(contextKey(new Map([['b', '1'], ['a', '2']]))).toBe(contextKey(new Map([['a', '2'], ['b', '1']])));
    expect(contextKey(undefined)).toBe('');
  });

  it('reads the Collector from_context names', () => {
    const client = { address: '10.0.0.7', metadata: new Map([['x-tenant', ['acme']]]) };
    expect(contextValue(client, 'metadata.X-Tenant')).toBe('acme');
    expect(contextValue(client, 'client.address')).toBe('10.0.0.7');
    expect(contextValue(client, 'metadata.missing')).toBeUndefined();
    expect(contextValue(undefined, 'metadata.x-tenant')).toBeUndefined();
  });

  it('makes the metadata current for one delivery and its awaits, and for no other', async () => {
    const seen: (string | undefined)[] = [];
    await Promise.all([
      withRequestContext(new Map([['x-tenant', 'a']]), async () => {
        await new Promise((r) => setTimeout(r, 5));
        seen.push(currentRequestContext()?.get('x-tenant'));
      }),
      withRequestContext(undefined, async () => {
        await new Promise((r) => setTimeout(r, 1));
        seen.push(currentRequestContext()?.get('x-tenant'));
      }),
    ]);
    expect(seen).toEqual([undefined, 'a']);
  });
});
