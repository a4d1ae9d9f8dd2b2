import type { ProcessorFactory } from '../../pipeline/factory.js';
import { attributesConfigSchema, type AttributesConfig } from './config.js';
import { AttributesProcessor } from './processor.js';
import { SignalAttributesProcessor } from './signal-processor.js';
import { matchErrorsFor } from './match-config.js';

export const attributesProcessorFactory: ProcessorFactory<AttributesConfig> = {
  kind: 'processor',
  type: 'attributes',
  schema: attributesConfigSchema,
  mutatesData: true,
  signals: ['logs', 'traces', 'metrics'],
  signalConfigErrors: (config, signal) => [
    ...(config.include ? matchErrorsFor(config.include, signal).map((m) => `include: ${m}`) : []),
    ...(config.exclude ? matchErrorsFor(config.exclude, signal).map((m) => `exclude: ${m}`) : []),
  ],
  create: (settings, config, next) => new AttributesProcessor(settings, config, next),
  createSignal: (settings, config, next, signal) => new SignalAttributesProcessor(settings, config, next, signal),
};

export type { AttributesConfig } from './config.js';
