import { ConfigError } from '../../errors.js';
import { formatPath, OttlConfigError } from '../../ottl/index.js';
import type { ProcessorFactory } from '../../pipeline/factory.js';
import { compileFilterConditions, filterConfigSchema, type FilterConfig } from './config.js';
import { FilterProcessor } from './processor.js';

export const filterProcessorFactory: ProcessorFactory<FilterConfig> = {
  kind: 'processor',
  type: 'filter',
  schema: filterConfigSchema,
  mutatesData: true,
  create: (settings, config, next) => {
    try {
      return new FilterProcessor(settings, compileFilterConditions(config), config.error_mode, next);
    } catch (err) {
      if (err instanceof OttlConfigError) throw new ConfigError(`processors.${settings.id}.${formatPath(err.path)}: ${err.parseError.message}`);
      throw err;
    }
  },
};

export type { FilterConfig } from './config.js';
export { FilterProcessor } from './processor.js';
