import type { ProcessorFactory } from '../../pipeline/factory.js';
import { redactionConfigSchema, type RedactionConfig } from './config.js';
import { RedactionProcessor } from './processor.js';

export const redactionProcessorFactory: ProcessorFactory<RedactionConfig> = {
  kind: 'processor',
  type: 'redaction',
  schema: redactionConfigSchema,
  mutatesData: true,
  create: (settings, config, next) => new RedactionProcessor(settings, config, next),
};

export type { RedactionConfig } from './config.js';
export { RedactionProcessor } from './processor.js';
