import type { ReceiverFactory } from '../../pipeline/factory.js';
import { otlpReceiverSchema, type OtlpReceiverConfig } from './config.js';
import { OtlpReceiver } from './receiver.js';

export type { OtlpReceiverConfig } from './config.js';
export { OtlpReceiver } from './receiver.js';

export const otlpReceiverFactory: ReceiverFactory<OtlpReceiverConfig> = {
  kind: 'receiver',
  type: 'otlp',
  schema: otlpReceiverSchema,
  create: (settings, config, next) => new OtlpReceiver(settings, config, next),
};
