import { ConfigError } from '../../errors.js';
import { formatPath, OttlConfigError } from '../../ottl/index.js';
import type { ProcessorFactory } from '../../pipeline/factory.js';
import { compileTransformGroups, transformConfigSchema, type TransformConfig } from './config.js';
import { TransformProcessor } from './processor.js';
import { wireUpsertPlan } from './wire-plan.js';

export const transformProcessorFactory: ProcessorFactory<TransformConfig> = {
  kind: 'processor',
  type: 'transform',
  schema: transformConfigSchema,
  mutatesData: true,
  create: (settings, config, next) => {
    try {
      return new TransformProcessor(settings, compileTransformGroups(config), next, wireUpsertPlan(config));
    } catch (err) {
      if (err instanceof OttlConfigError) throw new ConfigError(`processors.${settings.id}.${formatPath(err.path)}: ${err.parseError.message}`);
      throw err;
    }
  },
};

export type { TransformConfig } from './config.js';
export { TransformProcessor } from './processor.js';
