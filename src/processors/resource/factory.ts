import type { ProcessorFactory } from '../../pipeline/factory.js';
import { resourceConfigSchema, type ResourceConfig } from './config.js';
import { ResourceProcessor } from './processor.js';
import { SignalResourceProcessor } from './signal-processor.js';

export const resourceProcessorFactory: ProcessorFactory<ResourceConfig> = {
  kind: 'processor',
  type: 'resource',
  schema: resourceConfigSchema,
  mutatesData: true,
  signals: ['logs', 'traces', 'metrics'],
  create: (settings, config, next) => new ResourceProcessor(settings, config, next),
  createSignal: (settings, config, next) => new SignalResourceProcessor(settings, config, next),
};

export type { ResourceConfig } from './config.js';
