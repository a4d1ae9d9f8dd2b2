import { z } from 'zod';
import { duration, byteSize } from '../../src/config/types.js';
import type { AnyFactory } from '../../src/pipeline/factory.js';
import { Registry } from '../../src/pipeline/registry.js';

/** A registry of stand-in factories, so config rules are tested apart from real components. */
const noop = { async start() {}, async shutdown() {} };

export const testFactories: AnyFactory[] = [
  { kind: 'receiver', type: 'otlp', schema: z.strictObject({ protocols: z.strictObject({ http: z.strictObject({ endpoint: z.string().optional() }).nullish() }).optional() }), create: () => noop },
  { kind: 'processor', type: 'batch', mutatesData: false, schema: z.strictObject({ timeout: duration().default(200), send_batch_size: z.number().int().default(8192) }), create: (_s, _c, next) => ({ ...noop, consume: (l) => next.consume(l) }) },
  {
    kind: 'exporter',
    type: 'otlphttp',
    aliases: ['otlp_http'],
    schema: z.strictObject({ endpoint: z.string(), timeout: duration().default(30_000), max_size: byteSize().optional(), headers: z.record(z.string(), z.string()).optional() }),
    create: () => ({ ...noop, consume: async () => {} }),
  },
  { kind: 'exporter', type: 'debug', schema: z.strictObject({ verbosity: z.enum(['basic', 'normal', 'detailed']).default('basic') }), create: () => ({ ...noop, consume: async () => {} }) },
  { kind: 'extension', type: 'health_check', schema: z.strictObject({ endpoint: z.string().optional() }), create: () => noop },
];

export const testRegistry = new Registry(testFactories);
