import { z } from 'zod';
import type { ExporterFactory } from '../../pipeline/factory.js';

/**
 * The Collector's nop exporter (exporter/nopexporter): it takes no settings and accepts and
 * discards everything it is given, at once. Discarding is what the config asks for, so it is not
 * a silent drop; the pipeline's receivers and processors still count what passed.
 */
const discard = { start: async () => {}, shutdown: async () => {}, consume: async () => {} };

export const nopExporterFactory: ExporterFactory<Record<string, never>> = {
  kind: 'exporter',
  type: 'nop',
  schema: z.strictObject({}),
  signals: ['logs', 'traces', 'metrics'],
  create: () => ({ ...discard }),
  createSignal: () => ({ ...discard }),
};
