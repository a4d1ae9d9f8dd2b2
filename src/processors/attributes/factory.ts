import type { ProcessorFactory } from '../../pipeline/factory.js';
import { attributesConfigSchema, type AttributesConfig } from './config.js';
import { AttributesProcessor } from './processor.js';

export const attributesProcessorFactory: ProcessorFactory<AttributesConfig> = {
  kind: 'processor',
  type: 'attributes',
  schema: attributesConfigSchema,
  mutatesData: true,
  create: (settings, config, next) => new AttributesProcessor(settings, config, next),
};

export type { AttributesConfig } from './config.js';
