import type { ReceiverFactory } from '../../pipeline/factory.js';
import { makeConfigSchema, type MakeConfig } from './config.js';
import { MakeReceiver } from './receiver.js';

/** `make`: Make.com scenario executions as OpenTelemetry logs, polled and/or pushed (DESIGN section 6). */
export const makeReceiverFactory: ReceiverFactory<MakeConfig> = {
  kind: 'receiver',
  type: 'make',
  schema: makeConfigSchema,
  create: (settings, config, next) => new MakeReceiver(settings, config, next),
};
