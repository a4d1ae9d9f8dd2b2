import { AckPolicy, DeliverPolicy, type JetStreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { describeNatsError } from '../../exporters/nats/connection.js';
import type { NatsReceiverConfig } from './config.js';

/**
 * Creates the durable pull consumer, or brings an existing one in line with the config
 * (max_ack_pending, ack_wait, filter), so changing the config and restarting is all it takes.
 */
export async function ensureConsumer(jsm: JetStreamManager, c: NatsReceiverConfig): Promise<void> {
  const wanted = {
    max_ack_pending: c.max_ack_pending,
    ack_wait: nanos(c.ack_wait),
    filter_subject: c.subject,
  };
  let exists = true;
  try {
    await jsm.consumers.info(c.stream, c.consumer);
  } catch (err) {
    if (!/not found/i.test(describeNatsError(err))) throw err;
    exists = false;
  }
  if (exists) {
    await jsm.consumers.update(c.stream, c.consumer, wanted);
    return;
  }
  await jsm.consumers.add(c.stream, {
    ...wanted,
    durable_name: c.consumer,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
  });
}
