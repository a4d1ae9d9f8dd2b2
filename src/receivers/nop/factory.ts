import { z } from 'zod';
import type { ReceiverFactory } from '../../pipeline/factory.js';

/**
 * The Collector's nop receiver (receiver/nopreceiver): it takes no settings and produces nothing.
 * Configs use it to keep a pipeline valid while its real source is elsewhere (the file_storage
 * README's example), and tests use it to start exporters alone.
 */
export const nopReceiverFactory: ReceiverFactory<Record<string, never>> = {
  kind: 'receiver',
  type: 'nop',
  schema: z.strictObject({}),
  signals: ['logs', 'traces', 'metrics'],
  create: () => ({ start: async () => {}, shutdown: async () => {} }),
};
