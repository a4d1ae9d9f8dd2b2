import { z } from 'zod';
import type { ConnectorFactory } from '../../pipeline/factory.js';
import { FanOut } from '../../pipeline/fanout.js';

/**
 * The Collector's forward connector (connector/forwardconnector): everything one pipeline exports
 * to it goes to every pipeline that lists it as a receiver, e.g. to join several receiving
 * pipelines into one exporting pipeline. It has no settings. The fan-out resolves only when every
 * pipeline accepted, so acknowledgement waits for all their queues.
 */
export const forwardConnectorFactory: ConnectorFactory<Record<string, never>> = {
  kind: 'connector',
  type: 'forward',
  schema: z.strictObject({}),
  create: (_settings, _config, pipelines) => {
    const fanOut = new FanOut([...pipelines.values()]);
    return {
      start: async () => {},
      shutdown: async () => {},
      consume: (logs, signal) => fanOut.consume(logs, signal),
    };
  },
};
