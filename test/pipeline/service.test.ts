import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseConfigText } from '../../src/config/load.js';
import { validateConfig } from '../../src/config/validate.js';
import { PermanentError, RetryableError } from '../../src/errors.js';
import { newLogRecord, type Logs } from '../../src/pdata/model.js';
import { attr } from '../../src/pdata/values.js';
import type { Component, LogsConsumer } from '../../src/pipeline/component.js';
import type { AnyFactory } from '../../src/pipeline/factory.js';
import { Registry } from '../../src/pipeline/registry.js';
import { Service } from '../../src/pipeline/service.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';

/** Stand-in components that record what happens to them. */
function harness() {
  const events: string[] = [];
  const received = new Map<string, Logs[]>();
  const behaviour = new Map<string, (l: Logs) => Promise<void>>();
  const inputs = new Map<string, LogsConsumer>();
  const life = (id: string): Component => ({
    async start() {
      events.push(`start ${id}`);
    },
    async shutdown() {
      events.push(`stop ${id}`);
    },
  });
  const factories: AnyFactory[] = [
    { kind: 'receiver', type: 'src', schema: z.strictObject({}), create: (s, _c, next) => { inputs.set(s.id, next); return life(s.id); } },
    {
      kind: 'processor', type: 'tag', mutatesData: true, schema: z.strictObject({ value: z.string() }),
      create: (s, c: { value: string }, next) => ({
        ...life(s.id),
        consume: async (logs) => {
          for (const rl of logs.resourceLogs) for (const sl of rl.scopeLogs) for (const r of sl.logRecords) r.attributes.push(attr('tag', c.value));
          return next.consume(logs);
        },
      }),
    },
    {
      kind: 'exporter', type: 'sink', schema: z.strictObject({}),
      create: (s) => ({
        ...life(s.id),
        consume: async (logs) => {
          const b = behaviour.get(s.id);
          if (b) await b(logs);
          received.set(s.id, [...(received.get(s.id) ?? []), logs]);
        },
      }),
    },
    { kind: 'extension', type: 'ext', schema: z.strictObject({}), create: (s) => life(s.id) },
  ];
  return { events, received, behaviour, inputs, registry: new Registry(factories) };
}

const CONFIG = `
receivers: { src/a: {}, src/b: {} }
processors: { tag/one: { value: one }, tag/two: { value: two } }
exporters: { sink/x: {}, sink/y: {} }
extensions: { ext: {} }
service:
  extensions: [ext]
  pipelines:
    logs/one: { receivers: [src/a], processors: [tag/one], exporters: [sink/x, sink/y] }
    logs/two: { receivers: [src/a, src/b], processors: [tag/two], exporters: [sink/y] }
`;

function oneRecord(): Logs {
  return { resourceLogs: [{ schemaUrl: '', scopeLogs: [{ schemaUrl: '', logRecords: [newLogRecord({ severityText: 'INFO' })] }] }] };
}

const tags = (logs: Logs) => logs.resourceLogs[0].scopeLogs[0].logRecords[0].attributes.map((a) => a.value?.stringValue);

describe('pipeline service', () => {
  it('starts downstream first and stops upstream first', async () => {
    const h = harness();
    const svc = new Service(validateConfig(parseConfigText(CONFIG, 't'), h.registry), new Telemetry({ processMetrics: false }), silentLogger);
    await svc.start();
    expect(svc.status).toBe('ready');
    const starts = h.events.filter((e) => e.startsWith('start'));
    expect(starts[0]).toBe('start ext');
    expect(starts.indexOf('start sink/x')).toBeLessThan(starts.indexOf('start tag/one'));
    expect(starts.indexOf('start tag/one')).toBeLessThan(starts.indexOf('start src/a'));
    h.events.length = 0;
    await svc.shutdown();
    await svc.shutdown(); // idempotent
    const stops = h.events;
    expect(stops.filter((e) => e === 'stop src/a')).toHaveLength(1);
    expect(stops.indexOf('stop src/a')).toBeLessThan(stops.indexOf('stop tag/one'));
    expect(stops.indexOf('stop tag/one')).toBeLessThan(stops.indexOf('stop sink/x'));
    expect(stops.at(-1)).toBe('stop ext');
  });

  it('fans one receiver out to two pipelines, each with its own copy to change', async () => {
    const h = harness();
    const svc = new Service(validateConfig(parseConfigText(CONFIG, 't'), h.registry), new Telemetry({ processMetrics: false }), silentLogger);
    await svc.start();
    await h.inputs.get('src/a')!.consume(oneRecord());
    expect(h.received.get('sink/x')!.map(tags)).toEqual([['one']]);
    expect(h.received.get('sink/y')!.map(tags).sort()).toEqual([['one'], ['two']]);
    await svc.shutdown();
  });

  it('resolves only when every exporter accepted, and reports retryable when any branch is', async () => {
    const h = harness();
    const svc = new Service(validateConfig(parseConfigText(CONFIG, 't'), h.registry), new Telemetry({ processMetrics: false }), silentLogger);
    await svc.start();
    h.behaviour.set('sink/x', async () => { throw new PermanentError('bad'); });
    h.behaviour.set('sink/y', async () => { throw new RetryableError('busy', 2000, 'QUEUE_FULL'); });
    const err = await h.inputs.get('src/a')!.consume(oneRecord()).catch((e) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect(err.throttled).toBe(true);
    expect(err.retryAfterMs).toBe(2000);
    h.behaviour.set('sink/y', async () => { throw new PermanentError('also bad'); });
    const err2 = await h.inputs.get('src/a')!.consume(oneRecord()).catch((e) => e);
    expect(err2).toBeInstanceOf(PermanentError);
    await svc.shutdown();
  });

  it('stops what it started and names the component when a start fails', async () => {
    const h = harness();
    const cfg = validateConfig(parseConfigText(CONFIG, 't'), h.registry);
    const svc = new Service(cfg, new Telemetry({ processMetrics: false }), silentLogger);
    const exporter = svc.getExporter('sink/y')!;
    exporter.start = async () => { throw new Error('port in use'); };
    await expect(svc.start()).rejects.toThrow(/exporter sink\/y failed to start: port in use/);
    expect(h.events).toContain('stop ext');
    expect(h.events).not.toContain('start src/a');
  });
});
