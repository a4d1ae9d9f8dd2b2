import type { ReceiverFactory } from '../../pipeline/factory.js';
import { otlpReceiverSchema, type OtlpReceiverConfig } from './config.js';
import { OtlpReceiver } from './receiver.js';

export type { OtlpReceiverConfig } from './config.js';
export { OtlpReceiver } from './receiver.js';

export const otlpReceiverFactory: ReceiverFactory<OtlpReceiverConfig> = {
  kind: 'receiver',
  type: 'otlp',
  schema: otlpReceiverSchema,
  signals: ['logs', 'traces', 'metrics'],
  create: (settings, config, next, consumers) => new OtlpReceiver(settings, config, next, consumers),
};
