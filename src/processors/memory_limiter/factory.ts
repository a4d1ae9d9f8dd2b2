import type { ProcessorFactory } from '../../pipeline/factory.js';
import { memoryLimiterConfigSchema, type MemoryLimiterConfig } from './config.js';
import { MemoryLimiterProcessor } from './processor.js';
import { SignalMemoryLimiter } from './signal-processor.js';

export const memoryLimiterProcessorFactory: ProcessorFactory<MemoryLimiterConfig> = {
  kind: 'processor',
  type: 'memory_limiter',
  schema: memoryLimiterConfigSchema,
  mutatesData: false,
  signals: ['logs', 'traces', 'metrics'],
  create: (settings, config, next) => new MemoryLimiterProcessor(settings, config, next),
  createSignal: (settings, config, next) => new SignalMemoryLimiter(settings, config, next),
};

export type { MemoryLimiterConfig } from './config.js';
export { MemoryLimiterProcessor, type MemoryLimiterOptions } from './processor.js';
