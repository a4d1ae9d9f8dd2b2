import { hostname } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { newLogRecord, type Logs } from '../../../src/pdata/model.js';
import { resourceDetectionSchema } from '../../../src/processors/resourcedetection/config.js';
import { detectEnv } from '../../../src/processors/resourcedetection/detectors.js';
import { ResourceDetectionProcessor } from '../../../src/processors/resourcedetection/processor.js';
import { Telemetry } from '../../../src/telemetry/telemetry.js';
import { captureLogger, flatten, Sink } from '../../receivers/make/helpers.js';

const saved = process.env.OTEL_RESOURCE_ATTRIBUTES;
afterEach(() => {
  if (saved === undefined) delete process.env.OTEL_RESOURCE_ATTRIBUTES;
  else process.env.OTEL_RESOURCE_ATTRIBUTES = saved;
});

function logs(resource: Record<string, string>): Logs {
  const attributes = Object.entries(resource).map(([key, v]) => ({ key, value: { stringValue: v } }));
  return { resourceLogs: [{ schemaUrl: '', resource: { attributes, droppedAttributesCount: 0 }, scopeLogs: [{ schemaUrl: '', logRecords: [newLogRecord()] }] }] };
}

async function run(raw: Record<string, unknown>, resource: Record<string, string>) {
  const sink = new Sink();
  const p = new ResourceDetectionProcessor({ id: 'resourcedetection', telemetry: new Telemetry({ processMetrics: false }), logger: captureLogger() }, resourceDetectionSchema.parse(raw), sink);
  await p.start();
  await p.consume(logs(resource));
  return flatten(sink.accepted[0]!)[0]!.resource;
}

describe('resourcedetection processor', () => {
  it('env: reads OTEL_RESOURCE_ATTRIBUTES (percent-decoded) and overrides existing attributes by default', async () => {
    process.env.OTEL_RESOURCE_ATTRIBUTES = 'service.name=checkout,deployment.environment=prod%2Ceu';
    expect(await run({ detectors: ['env'] }, { 'service.name': 'old', keep: 'me' })).toEqual({ 'service.name': 'checkout', keep: 'me', 'deployment.environment': 'prod,eu' });
  });

  it('override: false keeps what the data already has', async () => {
    process.env.OTEL_RESOURCE_ATTRIBUTES = 'service.name=checkout';
    expect(await run({ detectors: ['env'], override: false }, { 'service.name': 'old' })).toEqual({ 'service.name': 'old' });
  });

  it('system: host.name from the os source and os.type; earlier detectors win', async () => {
    process.env.OTEL_RESOURCE_ATTRIBUTES = 'host.name=from-env';
    expect(await run({ detectors: ['system'], system: { hostname_sources: ['os'] } }, {})).toEqual({ 'host.name': hostname(), 'os.type': 'linux' });
    expect((await run({ detectors: ['env', 'system'], system: { hostname_sources: ['os'] } }, {}))['host.name']).toBe('from-env');
  });

  it('refuses detectors it does not have by name, and a malformed OTEL_RESOURCE_ATTRIBUTES', () => {
    const r = resourceDetectionSchema.safeParse({ detectors: ['env', 'ec2'] });
    expect(JSON.stringify(r.error?.issues)).toContain('detector \\"ec2\\" is not supported: expected env or system');
    expect(() => detectEnv({ OTEL_RESOURCE_ATTRIBUTES: 'novalue' })).toThrow(/expected key=value/);
  });
});
