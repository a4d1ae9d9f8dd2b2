import type { ProcessorFactory } from '../../pipeline/factory.js';
import { batchConfigSchema, type BatchConfig } from './config.js';
import { BatchProcessor } from './processor.js';
import { SignalBatchPassThrough } from './signal-processor.js';

export const batchProcessorFactory: ProcessorFactory<BatchConfig> = {
  kind: 'processor',
  type: 'batch',
  schema: batchConfigSchema,
  mutatesData: false,
  signals: ['logs', 'traces', 'metrics'],
  create: (settings, config, next) => new BatchProcessor(settings, config, next),
  createSignal: (settings, _config, next) => new SignalBatchPassThrough(settings, next),
};

export type { BatchConfig } from './config.js';
export { BatchProcessor } from './processor.js';
