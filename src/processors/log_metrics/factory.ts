import { ConfigError } from '../../errors.js';
import { formatPath, OttlConfigError } from '../../ottl/index.js';
import type { ProcessorFactory } from '../../pipeline/factory.js';
import { logMetricsConfigSchema, type LogMetricsConfig } from './config.js';
import { LogMetricsProcessor } from './processor.js';

export const logMetricsProcessorFactory: ProcessorFactory<LogMetricsConfig> = {
  kind: 'processor',
  type: 'log_metrics',
  schema: logMetricsConfigSchema,
  // Reads records only; they pass through unchanged.
  mutatesData: false,
  create: (settings, config, next) => {
    try {
      return new LogMetricsProcessor(settings, config, next);
    } catch (err) {
      if (err instanceof OttlConfigError) throw new ConfigError(`processors.${settings.id}.${formatPath(err.path)}: ${err.parseError.message}`);
      if (err instanceof Error) throw new ConfigError(`processors.${settings.id}: ${err.message}`);
      throw err;
    }
  },
};

export type { LogMetricsConfig } from './config.js';
export { LogMetricsProcessor } from './processor.js';
