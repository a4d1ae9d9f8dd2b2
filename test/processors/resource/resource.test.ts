import { describe, expect, it } from 'vitest';
import type { Logs } from '../../../src/pdata/model.js';
import { newLogRecord } from '../../../src/pdata/model.js';
import { attr, getAttr } from '../../../src/pdata/values.js';
import { resourceProcessorFactory } from '../../../src/processors/resource/factory.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { Telemetry } from '../../../src/telemetry/telemetry.js';

async function run(config: unknown, logs: Logs): Promise<Logs> {
  const out: Logs[] = [];
  const p = resourceProcessorFactory.create(
    { id: 'resource', telemetry: new Telemetry({ processMetrics: false }), logger: silentLogger },
    resourceProcessorFactory.schema.parse(config),
    { consume: async (l) => void out.push(l) },
  );
  await p.consume(logs);
  return out[0];
}

const logs = (): Logs => ({
  resourceLogs: [
    {
      resource: { attributes: [attr('service.name', 'api'), attr('host.name', 'h1')], droppedAttributesCount: 0 },
      schemaUrl: '',
      scopeLogs: [{ schemaUrl: '', logRecords: [newLogRecord({ attributes: [attr('host.name', 'record-level')] })] }],
    },
  ],
});

describe('resource processor', () => {
  it('acts on resource attributes with the Collector key `attributes`, not on record attributes', async () => {
    const out = await run(
      { attributes: [{ key: 'deployment.environment', value: 'prod', action: 'upsert' }, { key: 'host.name', action: 'delete' }] },
      logs(),
    );
    const res = out.resourceLogs[0].resource!.attributes;
    expect(getAttr(res, 'deployment.environment')).toEqual({ stringValue: 'prod' });
    expect(getAttr(res, 'host.name')).toBeUndefined();
    expect(getAttr(out.resourceLogs[0].scopeLogs[0].logRecords[0].attributes, 'host.name')).toEqual({ stringValue: 'record-level' });
  });

  it('accepts `actions` as the docs show, typed values included', async () => {
    const out = await run({ actions: [{ key: 'replicas', value: 3, action: 'insert' }, { key: 'service.name', action: 'hash' }] }, logs());
    const res = out.resourceLogs[0].resource!.attributes;
    expect(getAttr(res, 'replicas')).toEqual({ intValue: 3n });
    expect(getAttr(res, 'service.name')?.stringValue).toMatch(/^[0-9a-f]{64}$/);
  });

  it('hashes a resource shared by several ResourceLogs once', async () => {
    const shared = { attributes: [attr('user', 'x')], droppedAttributesCount: 0 };
    const input: Logs = { resourceLogs: [0, 1].map(() => ({ resource: shared, schemaUrl: '', scopeLogs: [] })) };
    const once = await run({ attributes: [{ key: 'user', action: 'hash' }] }, { resourceLogs: [{ resource: { attributes: [attr('user', 'x')], droppedAttributesCount: 0 }, schemaUrl: '', scopeLogs: [] }] });
    const out = await run({ attributes: [{ key: 'user', action: 'hash' }] }, input);
    expect(getAttr(out.resourceLogs[0].resource!.attributes, 'user')).toEqual(getAttr(once.resourceLogs[0].resource!.attributes, 'user'));
  });

  it('reports errors with the list name and index, and refuses both lists at once', () => {
    const r = resourceProcessorFactory.schema.safeParse({ attributes: [{ key: 'a', action: 'upsert' }] });
    expect(JSON.stringify(r.error?.issues)).toContain('attributes[0]: upsert needs value, from_attribute or from_context');
    const both = resourceProcessorFactory.schema.safeParse({ attributes: [{ key: 'a', value: 1, action: 'upsert' }], actions: [{ key: 'a', value: 1, action: 'upsert' }] });
    expect(both.success).toBe(false);
  });
});
