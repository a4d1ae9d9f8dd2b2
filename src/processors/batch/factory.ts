import type { ProcessorFactory } from '../../pipeline/factory.js';
import { batchConfigSchema, type BatchConfig } from './config.js';
import { BatchProcessor } from './processor.js';

export const batchProcessorFactory: ProcessorFactory<BatchConfig> = {
  kind: 'processor',
  type: 'batch',
  schema: batchConfigSchema,
  mutatesData: false,
  create: (settings, config, next) => new BatchProcessor(settings, config, next),
};

export type { BatchConfig } from './config.js';
export { BatchProcessor } from './processor.js';
