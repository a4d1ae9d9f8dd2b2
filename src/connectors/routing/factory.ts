import { ConfigError } from '../../errors.js';
import { formatPath, OttlConfigError } from '../../ottl/index.js';
import type { ConnectorFactory } from '../../pipeline/factory.js';
import { compileRoutes, routingConfigSchema, type RoutingConfig } from './config.js';
import { RoutingConnector } from './connector.js';

export const routingConnectorFactory: ConnectorFactory<RoutingConfig> = {
  kind: 'connector',
  type: 'routing',
  schema: routingConfigSchema,
  pipelinesNamed: (c) => [
    ...c.table.flatMap((r, i) => r.pipelines.map((pipeline, j) => ({ path: ['table', i, 'pipelines', j], pipeline }))),
    ...c.default_pipelines.map((pipeline, j) => ({ path: ['default_pipelines', j], pipeline })),
  ],
  create: (settings, config, pipelines) => {
    try {
      const routes = compileRoutes(config);
      return new RoutingConnector(settings, { routes, defaultPipelines: config.default_pipelines, errorMode: config.error_mode, matchOnce: config.match_once }, pipelines);
    } catch (err) {
      if (err instanceof OttlConfigError) throw new ConfigError(`connectors.${settings.id}.${formatPath(err.path)}: ${err.parseError.message}`);
      throw err;
    }
  },
};
