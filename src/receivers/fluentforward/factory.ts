import type { ReceiverFactory } from '../../pipeline/factory.js';
import { fluentforwardReceiverSchema, type FluentforwardReceiverConfig } from './config.js';
import { FluentforwardReceiver } from './receiver.js';

/** `fluentforward`: the Fluentd Forward protocol over TCP, for Fluent Bit and Fluentd (docs/log-inputs.md). */
export const fluentforwardReceiverFactory: ReceiverFactory<FluentforwardReceiverConfig> = {
  kind: 'receiver',
  type: 'fluentforward',
  schema: fluentforwardReceiverSchema,
  create: (settings, config, next) => new FluentforwardReceiver(settings, config, next),
};
