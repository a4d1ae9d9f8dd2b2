import { z } from 'zod';
import { exporterHelperShape } from '../helper/config.js';
import { checkNatsAuth, natsConnectionShape } from './connection.js';

/**
 * `nats` exporter keys (docs/nats.md): the connection block shared with the `nats` receiver
 * (`url`, `stream`, `subject`, `token`, `user`/`password`, `creds_file`, `nkey_file`, `tls`) plus the
 * exporter helper's `timeout`, `sending_queue` and `retry_on_failure`.
 */

/** How long a publish waits for JetStream's ack before it counts as failed (and is retried). */
export const DEFAULT_TIMEOUT_MS = 10_000;

export const natsExporterSchema = z
  .strictObject({
    ...natsConnectionShape,
    ...exporterHelperShape(DEFAULT_TIMEOUT_MS),
  })
  .superRefine((c, ctx) => {
    checkNatsAuth(c, ctx);
    if (/[*>]/.test(c.subject)) ctx.addIssue({ code: 'custom', path: ['subject'], message: 'the exporter publishes to one subject: no * or > wildcards' });
  });

export type NatsExporterConfig = z.output<typeof natsExporterSchema>;
