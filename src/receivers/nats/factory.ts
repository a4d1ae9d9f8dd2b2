import type { ReceiverFactory } from '../../pipeline/factory.js';
import { registerSecret } from '../../telemetry/secrets.js';
import { natsReceiverSchema, type NatsReceiverConfig } from './config.js';
import { NatsReceiver } from './receiver.js';

/** `nats`: OTLP requests from a NATS JetStream stream, durable pull consumer (docs/nats.md). */
export const natsReceiverFactory: ReceiverFactory<NatsReceiverConfig> = {
  kind: 'receiver',
  type: 'nats',
  schema: natsReceiverSchema,
  create(settings, config, next) {
    registerSecret(config.token);
    registerSecret(config.password);
    return new NatsReceiver(settings, config, next);
  },
};
