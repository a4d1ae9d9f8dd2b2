import type { ReceiverFactory } from '../../pipeline/factory.js';
import { makeConfigSchema, type MakeConfig } from './config.js';
import { MakeReceiver } from './receiver.js';

/** `make`: Make.com scenario executions as OpenTelemetry logs, polled and/or pushed (docs/make-receiver.md). */
export const makeReceiverFactory: ReceiverFactory<MakeConfig> = {
  kind: 'receiver',
  type: 'make',
  schema: makeConfigSchema,
  create: (settings, config, next) => new MakeReceiver(settings, config, next),
};
