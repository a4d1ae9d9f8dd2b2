import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { nuid, type NatsConnection } from '@nats-io/transport-node';
import { onAbort } from '../../abort-hooks.js';
import type { Logger } from '../../telemetry/logger.js';
import { permanent, retryable, success, type ExportRequest, type LogsSender, type SendResult } from '../helper/sender.js';
import { regroupRecords } from '../helper/split.js';
import type { NatsExporterConfig } from './config.js';
import { splitToFit } from './split.js';
import { describeNatsError, ensureStream } from './connection.js';
import { NatsLink } from './link.js';

/**
 * Publishes each queued OTLP request, its protobuf bytes as stored, as one JetStream message and
 * waits for the stream's publish ack: the exporter helper removes the request from our queue only
 * when `send` says success, so a request leaves our queue only once JetStream stored it.
 *
 * `Nats-Msg-Id`: one id per request, kept across the retries of that request, so a publish whose
 * ack was lost (timeout, reconnect) and is sent again is dropped by the stream's duplicate window
 * instead of stored twice. The id is random rather than a hash of the bytes on purpose: two
 * clients can send byte-identical requests, and a content hash would make the stream drop the
 * second as a "duplicate". A request sent again after a gateway restart gets a new id (the queue
 * does not hand ids to senders): at-least-once, as everywhere else in the gateway.
 */
export class NatsLogsSender implements LogsSender {
  readonly sendsBytes = true;
  private link?: NatsLink;
  private nc?: NatsConnection;
  private js?: JetStreamClient;
  private readonly ids = new WeakMap<ExportRequest, string>();

  constructor(
    private readonly config: NatsExporterConfig,
    private readonly id: string,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.link = new NatsLink(
      this.config,
      `make-otel-gateway ${this.id}`,
      this.logger,
      ({ jsm }) => ensureStream(jsm, this.config.stream, this.config.subject),
      ({ nc }) => {
        this.nc = nc;
        this.js = jetstream(nc);
        this.logger.info('nats: publishing to JetStream', { url: this.config.url, stream: this.config.stream, subject: this.config.subject });
      },
    );
    await this.link.start().catch((err: unknown) => {
      throw new Error(`exporter ${this.id}: ${describeNatsError(err)}`);
    });
  }

  async send(request: ExportRequest, signal: AbortSignal): Promise<SendResult> {
    if (!this.js || !this.nc) return retryable('nats: not connected yet');
    let msgID = this.ids.get(request);
    if (!msgID) {
      msgID = nuid.next();
      this.ids.set(request, msgID);
    }
    const bytes = request.bytes();
    // The server's max_payload (1 MB by default) bounds a message; a bigger request (a batch) goes
    // as several messages, each with its own id derived from the request's, so a retry after a
    // partial publish is deduplicated part by part.
    const maxPayload = this.nc.info?.max_payload ?? Number.POSITIVE_INFINITY;
    if (bytes.length <= maxPayload) return this.publish(bytes, msgID, signal);
    const { parts, unfit } = splitToFit(request.logs(), maxPayload);
    for (let i = 0; i < parts.length; i++) {
      const result = await this.publish(parts[i]!, `${msgID}-${i}`, signal);
      if (result.kind !== 'success') return result;
    }
    if (unfit.length === 0) return success();
    const reason = `nats: ${unfit.length} log record(s) exceed the server's max_payload (${maxPayload} bytes) on their own`;
    if (parts.length === 0) return permanent(reason);
    this.logger.warn('nats: log records too large for one NATS message; dead-lettering them', { records: unfit.length, max_payload: maxPayload });
    return success(unfit.length, reason, regroupRecords(unfit));
  }

  private async publish(bytes: Uint8Array, msgID: string, signal: AbortSignal): Promise<SendResult> {
    if (signal.aborted) return retryable('nats: send aborted');
    try {
      const ack = await abortable(this.js!.publish(this.config.subject, bytes, { msgID, expect: { streamName: this.config.stream }, timeout: this.config.timeout }), signal);
      if (ack.duplicate) this.logger.debug('nats: JetStream already had this message (retry after a lost ack)', { seq: ack.seq });
      return success();
    } catch (err) {
      return classify(err, signal);
    }
  }

  async shutdown(): Promise<void> {
    const session = await this.link?.close();
    this.nc = undefined;
    this.js = undefined;
    await session?.nc.close().catch(() => {});
  }
}

/** Every JetStream failure is retried except the ones a retry cannot fix. */
function classify(err: unknown, signal: AbortSignal): SendResult {
  if (signal.aborted) return retryable(`nats: ${describeNatsError(signal.reason ?? err)}`);
  const text = describeNatsError(err);
  // Permission errors and a subject no stream captures need an operator, but the stream may be
  // created or the permission granted while the request waits: retry until retry_on_failure gives up.
  if (/max.?payload|maximum payload/i.test(text)) return permanent(`nats: ${text}`);
  return retryable(`nats: ${text}`);
}

/** The publish promise, rejected when `signal` aborts (the helper's timeout or shutdown). */
function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const unhook = onAbort(signal, () => reject(signal.reason ?? new Error('aborted')));
    p.then(
      (v) => {
        unhook();
        resolve(v);
      },
      (e: unknown) => {
        unhook();
        reject(e);
      },
    );
  });
}
