import { jetstream, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { Counter } from 'prom-client';
import { isPermanent, isRetryable } from '../../errors.js';
import { describeNatsError, ensureStream } from '../../exporters/nats/connection.js';
import { NatsLink } from '../../exporters/nats/link.js';
import type { Component, CreateSettings, LogsConsumer } from '../../pipeline/component.js';
import type { Logger } from '../../telemetry/logger.js';
import type { Telemetry } from '../../telemetry/telemetry.js';
import { acceptableFromProtobuf } from '../otlp/partial-success.js';
import type { NatsReceiverConfig } from './config.js';
import { ensureConsumer } from './consumer.js';

const TRANSPORT = 'nats';
const MESSAGES_METRIC = 'gateway_nats_receiver_messages_total';
/** How long shutdown waits for the connection to drain before closing it. */
const DRAIN_TIMEOUT_MS = 5_000;
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * The `nats` receiver: reads OTLP requests (protobuf, as the `nats` exporter publishes them) from a
 * JetStream stream with a durable pull consumer. A message is acked only after `next.consume`
 * resolved, i.e. every exporter queue durably committed it, and the ack is confirmed by the server
 * (ackAck) before it counts as accepted. A refusal for now (queue full, memory limit) → nak with a
 * delay, so JetStream redelivers it; bytes that are not an OTLP request → term (never redelivered)
 * and counted. `max_ack_pending` bounds the messages in flight: the backpressure.
 */
export class NatsReceiver implements Component {
  private link?: NatsLink;
  private nc?: NatsConnection;
  private messages?: ConsumerMessages;
  private loop?: Promise<void>;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly logger: Logger;
  private readonly telemetry: Telemetry;
  private readonly outcomes: Counter<'receiver' | 'outcome'>;
  private stopping?: Promise<void>;

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: NatsReceiverConfig,
    private readonly next: LogsConsumer,
  ) {
    this.logger = settings.logger.child({ component: settings.id });
    this.telemetry = settings.telemetry;
    this.outcomes = messagesCounter(settings.telemetry);
  }

  async start(): Promise<void> {
    const c = this.config;
    let messages: ConsumerMessages | undefined;
    this.link = new NatsLink(
      c,
      `make-otel-gateway ${this.settings.id}`,
      this.logger,
      async ({ nc, jsm }) => {
        await ensureStream(jsm, c.stream, c.subject);
        await ensureConsumer(jsm, c);
        const consumer = await jetstream(nc).consumers.get(c.stream, c.consumer);
        messages = await consumer.consume({ max_messages: Math.min(c.max_ack_pending, 1000) });
      },
      ({ nc }) => {
        this.nc = nc;
        this.messages = messages;
        this.loop = this.run(messages!);
        this.logger.info('nats: consuming from JetStream', { url: c.url, stream: c.stream, consumer: c.consumer, max_ack_pending: c.max_ack_pending });
      },
    );
    await this.link.start().catch((err: unknown) => {
      throw new Error(`receiver ${this.settings.id}: ${describeNatsError(err)}`);
    });
  }

  private async run(messages: ConsumerMessages): Promise<void> {
    try {
      for await (const m of messages) {
        // Not awaited: JetStream's max_ack_pending already bounds how many are in flight.
        const p = this.handle(m).finally(() => this.inFlight.delete(p));
        this.inFlight.add(p);
      }
    } catch (err) {
      if (!this.stopping) this.logger.error('nats: consumer stopped', { error: describeNatsError(err) });
    }
  }

  private async handle(m: JsMsg): Promise<void> {
    const labels = { receiver: this.settings.id, transport: TRANSPORT };
    let accepted;
    try {
      accepted = acceptableFromProtobuf(m.data);
    } catch (err) {
      // No reason on the wire: `+TERM <reason>` needs nats-server ≥ 2.10.4 and older ones ignore it
      // (the message would come back after ack_wait). The reason goes to our log instead.
      m.term();
      this.outcomes.inc({ receiver: this.settings.id, outcome: 'term' });
      this.telemetry.receiverRequestsRefused.inc({ ...labels, status: 'term' });
      this.logger.warn('nats: message is not an OTLP logs request; terminated (not redelivered)', { stream: m.info.stream, seq: m.seq, error: (err as Error).message });
      return;
    }
    if (accepted.rejected > 0) {
      this.telemetry.receiverRefused.inc(labels, accepted.rejected);
      this.logger.warn('nats: log records dropped from a message', { rejected: accepted.rejected, reason: accepted.errorMessage });
    }
    try {
      if (accepted.accepted > 0) await this.next.consume(accepted.logs);
    } catch (err) {
      if (isPermanent(err) && !isRetryable(err)) {
        m.term();
        this.outcomes.inc({ receiver: this.settings.id, outcome: 'term' });
        this.telemetry.receiverRefused.inc(labels, accepted.accepted);
        this.logger.warn('nats: pipeline refused a message for good; terminated', { seq: m.seq, error: describeNatsError(err) });
        return;
      }
      const delay = (isRetryable(err) ? err.retryAfterMs : undefined) ?? this.config.nak_delay;
      m.nak(delay);
      this.outcomes.inc({ receiver: this.settings.id, outcome: 'nak' });
      this.logger.debug('nats: pipeline refused a message for now; redelivery later', { seq: m.seq, delay_ms: delay, error: describeNatsError(err) });
      return;
    }
    try {
      await m.ackAck();
    } catch (err) {
      // The data is committed downstream; JetStream redelivers it after ack_wait: a duplicate, never a loss.
      this.logger.warn('nats: ack not confirmed; the message may be delivered again', { seq: m.seq, error: describeNatsError(err) });
      return;
    }
    this.outcomes.inc({ receiver: this.settings.id, outcome: 'ack' });
    this.telemetry.receiverAccepted.inc(labels, accepted.accepted);
  }

  shutdown(): Promise<void> {
    this.stopping ??= (async () => {
      // Stop pulling, let the messages in hand finish (acked or nak'ed), then leave.
      await this.link?.close();
      await this.messages?.close().catch(() => {});
      await this.loop;
      await Promise.allSettled([...this.inFlight]);
      // Bounded: a drain waits for the server, which may be the thing that is down.
      const nc = this.nc;
      if (nc) {
        const drained = await Promise.race([nc.drain().then(() => true, () => false), delay(DRAIN_TIMEOUT_MS).then(() => false)]);
        if (!drained) await nc.close().catch(() => {});
      }
    })();
    return this.stopping;
  }
}

/** One counter per gateway registry, shared by every `nats` receiver in it. */
function messagesCounter(telemetry: Telemetry): Counter<'receiver' | 'outcome'> {
  const existing = telemetry.registry.getSingleMetric(MESSAGES_METRIC);
  if (existing) return existing as Counter<'receiver' | 'outcome'>;
  return new Counter({
    name: MESSAGES_METRIC,
    help: 'JetStream messages the nats receiver handled, by outcome (ack: committed downstream; nak: refused for now, redelivered later; term: not an OTLP request or refused for good).',
    labelNames: ['receiver', 'outcome'],
    registers: [telemetry.registry],
  });
}
