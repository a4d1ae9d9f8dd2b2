import { z } from 'zod';
import { duration } from '../../config/types.js';
import { checkNatsAuth, natsConnectionShape } from '../../exporters/nats/connection.js';

/**
 * `nats` receiver keys (docs/nats.md): the connection block shared with the `nats` exporter plus
 * the durable pull consumer it reads with. `subject` filters the stream (wildcards allowed).
 */

export const DEFAULT_CONSUMER = 'make-otel-gateway';
/** JetStream's own default: at most this many messages delivered and not yet acked. */
export const DEFAULT_MAX_ACK_PENDING = 1000;
/** JetStream's default ack wait: a message not acked by then is delivered again. */
export const DEFAULT_ACK_WAIT_MS = 30_000;
/** How long a message refused downstream (queue full, memory limit) waits before redelivery. */
export const DEFAULT_NAK_DELAY_MS = 1_000;

export const natsReceiverSchema = z
  .strictObject({
    ...natsConnectionShape,
    /** The durable consumer's name; replicas that share it share the work. */
    consumer: z.string().regex(/^[^\s.*>/\\]+$/, 'a consumer name has no spaces, dots, *, > or slashes').default(DEFAULT_CONSUMER),
    /** Backpressure: JetStream stops delivering while this many messages wait for our ack. */
    max_ack_pending: z.number().int().positive().default(DEFAULT_MAX_ACK_PENDING),
    /** Ours: the consumer's ack wait (redelivery after a replica died holding messages). */
    ack_wait: duration().default(DEFAULT_ACK_WAIT_MS),
    /** Ours: redelivery delay of a message the pipeline refused for now. */
    nak_delay: duration().default(DEFAULT_NAK_DELAY_MS),
  })
  .superRefine((c, ctx) => checkNatsAuth(c, ctx));

export type NatsReceiverConfig = z.output<typeof natsReceiverSchema>;
