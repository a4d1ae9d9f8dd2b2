import type { ProcessorFactory } from '../../pipeline/factory.js';
import { makeAnomalyConfigSchema, type MakeAnomalyConfig } from './config.js';
import { MakeAnomalyProcessor } from './processor.js';

export const makeAnomalyProcessorFactory: ProcessorFactory<MakeAnomalyConfig> = {
  kind: 'processor',
  type: 'make_anomaly',
  schema: makeAnomalyConfigSchema,
  // Appends anomaly records to the batch.
  mutatesData: true,
  create: (settings, config, next) => new MakeAnomalyProcessor(settings, config, next),
};

export type { MakeAnomalyConfig } from './config.js';
export { MakeAnomalyProcessor } from './processor.js';
