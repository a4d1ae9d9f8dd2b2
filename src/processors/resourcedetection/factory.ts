import type { ProcessorFactory } from '../../pipeline/factory.js';
import { resourceDetectionSchema, type ResourceDetectionConfig } from './config.js';
import { ResourceDetectionProcessor } from './processor.js';

/** `resourcedetection`: the contrib processor with the `env` and `system` detectors (docs/log-inputs.md). */
export const resourceDetectionProcessorFactory: ProcessorFactory<ResourceDetectionConfig> = {
  kind: 'processor',
  type: 'resourcedetection',
  schema: resourceDetectionSchema,
  mutatesData: true,
  create: (settings, config, next) => new ResourceDetectionProcessor(settings, config, next),
};
