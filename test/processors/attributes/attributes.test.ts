import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { KeyValue, Logs } from '../../../src/pdata/model.js';
import { newLogRecord } from '../../../src/pdata/model.js';
import { attr, getAttr } from '../../../src/pdata/values.js';
import { attributesProcessorFactory } from '../../../src/processors/attributes/factory.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { Telemetry } from '../../../src/telemetry/telemetry.js';

function logsWith(attributes: KeyValue[], extra: Partial<Parameters<typeof newLogRecord>[0]> = {}, resource: KeyValue[] = []): Logs {
  return {
    resourceLogs: [
      {
        resource: { attributes: resource, droppedAttributesCount: 0 },
        schemaUrl: '',
        scopeLogs: [{ scope: { name: 'lib', version: '1.0', attributes: [], droppedAttributesCount: 0 }, schemaUrl: '', logRecords: [newLogRecord({ attributes, ...extra })] }],
      },
    ],
  };
}

async function run(config: unknown, logs: Logs): Promise<KeyValue[]> {
  const out: Logs[] = [];
  const p = attributesProcessorFactory.create(
    { id: 'attributes', telemetry: new Telemetry({ processMetrics: false }), logger: silentLogger },
    attributesProcessorFactory.schema.parse(config),
    { consume: async (l) => void out.push(l) },
  );
  await p.consume(logs);
  return out[0].resourceLogs[0].scopeLogs[0].logRecords[0].attributes;
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

describe('attributes processor actions', () => {
  it('insert adds a missing key and leaves an existing one alone', async () => {
    const attrs = await run({ actions: [{ key: 'env', value: 'prod', action: 'insert' }, { key: 'a', value: 'new', action: 'insert' }] }, logsWith([attr('a', 'old')]));
    expect(getAttr(attrs, 'env')).toEqual({ stringValue: 'prod' });
    expect(getAttr(attrs, 'a')).toEqual({ stringValue: 'old' });
  });

  it('update changes only existing keys', async () => {
    const attrs = await run({ actions: [{ key: 'a', value: 'new', action: 'update' }, { key: 'b', value: 'x', action: 'update' }] }, logsWith([attr('a', 'old')]));
    expect(getAttr(attrs, 'a')).toEqual({ stringValue: 'new' });
    expect(getAttr(attrs, 'b')).toBeUndefined();
  });

  it('upsert inserts or updates, copying from another attribute', async () => {
    const attrs = await run(
      { actions: [{ key: 'a', from_attribute: 'src', action: 'upsert' }, { key: 'b', from_attribute: 'src', action: 'upsert' }] },
      logsWith([attr('a', 1), attr('src', 'copied')]),
    );
    expect(getAttr(attrs, 'a')).toEqual({ stringValue: 'copied' });
    expect(getAttr(attrs, 'b')).toEqual({ stringValue: 'copied' });
  });

  it('keeps the YAML type of values: int, double, bool, string', async () => {
    const attrs = await run(
      {
        actions: [
          { key: 'i', value: 2245, action: 'insert' },
          { key: 'd', value: 1.5, action: 'insert' },
          { key: 'b', value: true, action: 'insert' },
          { key: 's', value: 'x', action: 'insert' },
        ],
      },
      logsWith([]),
    );
    expect(getAttr(attrs, 'i')).toEqual({ intValue: 2245n });
    expect(getAttr(attrs, 'd')).toEqual({ doubleValue: 1.5 });
    expect(getAttr(attrs, 'b')).toEqual({ boolValue: true });
    expect(getAttr(attrs, 's')).toEqual({ stringValue: 'x' });
  });

  it('delete removes by key and by pattern', async () => {
    const attrs = await run(
      { actions: [{ key: 'password', action: 'delete' }, { pattern: '^secret\\.', action: 'delete' }] },
      logsWith([attr('password', 'p'), attr('secret.a', 1), attr('secret.b', 2), attr('keep', 'k')]),
    );
    expect(attrs.map((kv) => kv.key)).toEqual(['keep']);
  });

  it('hash replaces values with their SHA-256 hex, per value type', async () => {
    const attrs = await run(
      { actions: [{ key: 'email', action: 'hash' }, { key: 'n', action: 'hash' }, { key: 'flag', action: 'hash' }] },
      logsWith([attr('email', 'a@b.c'), attr('n', 5), attr('flag', true)]),
    );
    const int5 = Buffer.alloc(8);
    int5.writeBigInt64LE(5n);
    expect(getAttr(attrs, 'email')).toEqual({ stringValue: sha256('a@b.c') });
    expect(getAttr(attrs, 'n')).toEqual({ stringValue: sha256(int5) });
    expect(getAttr(attrs, 'flag')).toEqual({ stringValue: sha256(Buffer.from([1])) });
  });

  it('extract sets named groups as attributes (Go (?P<name>) syntax accepted)', async () => {
    const attrs = await run(
      { actions: [{ key: 'url', pattern: '^/api/(?P<version>v\\d+)/(?<resource>\\w+)', action: 'extract' }] },
      logsWith([attr('url', '/api/v2/users?x=1')]),
    );
    expect(getAttr(attrs, 'version')).toEqual({ stringValue: 'v2' });
    expect(getAttr(attrs, 'resource')).toEqual({ stringValue: 'users' });
  });

  it('convert changes types and leaves unconvertible values as they are', async () => {
    const attrs = await run(
      {
        actions: [
          { key: 'code', converted_type: 'int', action: 'convert' },
          { key: 'ratio', converted_type: 'double', action: 'convert' },
          { key: 'n', converted_type: 'string', action: 'convert' },
          { key: 'bad', converted_type: 'int', action: 'convert' },
        ],
      },
      logsWith([attr('code', '200'), attr('ratio', '0.25'), attr('n', 7), attr('bad', 'abc')]),
    );
    expect(getAttr(attrs, 'code')).toEqual({ intValue: 200n });
    expect(getAttr(attrs, 'ratio')).toEqual({ doubleValue: 0.25 });
    expect(getAttr(attrs, 'n')).toEqual({ stringValue: '7' });
    expect(getAttr(attrs, 'bad')).toEqual({ stringValue: 'abc' });
  });
});

describe('attributes processor include/exclude', () => {
  const action = [{ key: 'tagged', value: true, action: 'insert' }];

  it('acts only on records matching include (strict attributes)', async () => {
    const cfg = { include: { match_type: 'strict', attributes: [{ key: 'env', value: 'prod' }] }, actions: action };
    expect(getAttr(await run(cfg, logsWith([attr('env', 'prod')])), 'tagged')).toBeDefined();
    expect(getAttr(await run(cfg, logsWith([attr('env', 'dev')])), 'tagged')).toBeUndefined();
  });

  it('skips records matching exclude (regexp bodies, resources, severity)', async () => {
    const cfg = { exclude: { match_type: 'regexp', log_bodies: ['health'] }, actions: action };
    expect(getAttr(await run(cfg, logsWith([], { body: { stringValue: 'GET /health' } })), 'tagged')).toBeUndefined();
    expect(getAttr(await run(cfg, logsWith([], { body: { stringValue: 'GET /users' } })), 'tagged')).toBeDefined();
    const res = { include: { match_type: 'regexp', resources: [{ key: 'service.name', value: '^pay' }] }, actions: action };
    expect(getAttr(await run(res, logsWith([], {}, [attr('service.name', 'payments')])), 'tagged')).toBeDefined();
    const sev = { include: { match_type: 'strict', log_severity_number: { min: 'WARN' } }, actions: action };
    expect(getAttr(await run(sev, logsWith([], { severityNumber: 17 })), 'tagged')).toBeDefined();
    expect(getAttr(await run(sev, logsWith([], { severityNumber: 9 })), 'tagged')).toBeUndefined();
  });
});

describe('attributes processor config errors', () => {
  const issues = (cfg: unknown) => (attributesProcessorFactory.schema.safeParse(cfg).error?.issues ?? []).map((i) => i.message).join('\n');

  it('names the action index and what is missing', () => {
    expect(issues({ actions: [{ key: 'a', value: 1, action: 'insert' }, { key: 'b', action: 'delete' }, { key: 'c', action: 'insert' }] })).toContain(
      'actions[2]: insert needs value, from_attribute or from_context',
    );
    expect(issues({ actions: [{ action: 'delete' }] })).toContain('actions[0]: delete needs key or pattern');
    expect(issues({ actions: [{ key: 'a', action: 'explode' }] })).toContain('actions[0]: unknown action');
    expect(issues({ actions: [{ key: 'a', action: 'convert', converted_type: 'bool' }] })).toContain('converted_type "bool"');
    expect(issues({ actions: [{ key: 'a', action: 'extract', pattern: '(\\d+)' }] })).toContain('named groups');
    expect(issues({ actions: [{ key: 'a', from_context: 'auth.subject', action: 'insert' }] })).toContain('from_context "auth.subject" is not supported');
    expect(issues({ actions: [{ key: 'a', from_context: 'metadata.x', value: 1, action: 'insert' }] })).toContain('takes only one of value, from_attribute and from_context');
  });

  it('refuses unknown keys', () => {
    expect(attributesProcessorFactory.schema.safeParse({ actions: [{ key: 'a', value: 1, action: 'insert', vaule: 2 }] }).success).toBe(false);
  });

  it('accepts upper-case action names as the Collector does', () => {
    expect(attributesProcessorFactory.schema.safeParse({ actions: [{ key: 'a', value: 1, action: 'UPSERT' }] }).success).toBe(true);
  });
});
