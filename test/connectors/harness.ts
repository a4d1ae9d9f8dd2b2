import { z } from 'zod';
import { parseConfigText } from '../../src/config/load.js';
import { validateConfig } from '../../src/config/validate.js';
import { forwardConnectorFactory } from '../../src/connectors/forward/factory.js';
import { routingConnectorFactory } from '../../src/connectors/routing/factory.js';
import { newLogRecord, type Logs } from '../../src/pdata/model.js';
import { attr } from '../../src/pdata/values.js';
import type { LogsConsumer } from '../../src/pipeline/component.js';
import type { AnyFactory } from '../../src/pipeline/factory.js';
import { Registry } from '../../src/pipeline/registry.js';
import { Service } from '../../src/pipeline/service.js';
import { silentLogger, type Logger } from '../../src/telemetry/logger.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';

/**
 * A service built from YAML with the real connectors and processors, a `src` receiver the test
 * drives and `sink` exporters that record what they got; a sink's consume can be held open.
 */
export async function connectorService(yaml: string, logger: Logger = silentLogger) {
  const inputs = new Map<string, LogsConsumer>();
  const received = new Map<string, Logs[]>();
  const holds = new Map<string, Promise<void>>();
  const factories: AnyFactory[] = [
    { kind: 'receiver', type: 'src', schema: z.strictObject({}), create: (s, _c, next) => (inputs.set(s.id, next), { start: async () => {}, shutdown: async () => {} }) },
    {
      kind: 'processor', type: 'tag', mutatesData: true, schema: z.strictObject({ value: z.string() }),
      create: (_s, c: { value: string }, next) => ({
        start: async () => {},
        shutdown: async () => {},
        consume: async (logs, signal) => {
          for (const rl of logs.resourceLogs) for (const sl of rl.scopeLogs) for (const r of sl.logRecords) r.attributes.push(attr('tag', c.value));
          return next.consume(logs, signal);
        },
      }),
    },
    {
      kind: 'exporter', type: 'sink', schema: z.strictObject({}),
      create: (s) => ({
        start: async () => {},
        shutdown: async () => {},
        consume: async (logs) => {
          await holds.get(s.id);
          received.set(s.id, [...(received.get(s.id) ?? []), logs]);
        },
      }),
    },
    routingConnectorFactory,
    forwardConnectorFactory,
  ];
  const registry = new Registry(factories);
  const telemetry = new Telemetry();
  const service = new Service(validateConfig(parseConfigText(yaml, 'c.yaml'), registry), telemetry, logger);
  await service.start();
  /** Record bodies each sink got, in order. */
  const bodies = (sink: string) => (received.get(sink) ?? []).flatMap((l) => l.resourceLogs.flatMap((rl) => rl.scopeLogs.flatMap((sl) => sl.logRecords.map((r) => r.body?.stringValue))));
  return { service, telemetry, inputs, received, holds, bodies, registry };
}

/** One request: a resource per tenant, each with records whose bodies are given. */
export function request(byTenant: Record<string, string[]>): Logs {
  return {
    resourceLogs: Object.entries(byTenant).map(([tenant, bodies]) => ({
      resource: { attributes: [attr('make.organization.id', tenant)], droppedAttributesCount: 0 },
      schemaUrl: '',
      scopeLogs: [{ schemaUrl: '', logRecords: bodies.map((b) => newLogRecord({ body: { stringValue: b }, severityText: b.startsWith('err') ? 'ERROR' : 'INFO' })) }],
    })),
  };
}

export function validationErrors(yaml: string, registry: Registry): readonly string[] {
  try {
    validateConfig(parseConfigText(yaml, 'c.yaml'), registry);
    return [];
  } catch (err) {
    return (err as { issues?: readonly string[] }).issues ?? [String(err)];
  }
}
