import { setMaxListeners } from 'node:events';
import { PermanentError, RetryableError, isPermanent, isRetryable } from '../../errors.js';
import type { BytesSignal, SignalRequest } from '../../pdata/signal.js';
import type { Component, CreateSettings, Host, SignalConsumer } from '../../pipeline/component.js';
import { cancelledError, linkSignals, untilAborted } from '../../pipeline/cancellation.js';
import type { Queue, QueuedRequest } from '../../queue/queue.js';
import { redact } from '../../telemetry/secrets.js';
import { concatRequests, runBatcher } from './batcher.js';
import type { ExporterHelperConfig } from './config.js';
import { deliver, type DeliveryHooks, type DeliveryOutcome } from './delivery.js';
import { MEMORY_DRAIN_TIMEOUT_MS } from './exporter.js';
import { openSendingQueue, startSender, type ProvidedQueue } from './queue-provider.js';
import { FailureLog, failureLogIntervalMs } from './failure-log.js';
import type { ExportRequest, LogsSender } from './sender.js';

/**
 * An exporter's traces or metrics side (docs/architecture.md §3): the same delivery as logs
 * (exporter.ts) — `consume` resolves only once the request is durably queued, workers send with a
 * timeout, retry with backoff, and ack or dead-letter — on a queue of its own, owned as
 * `EXPORTERID#traces` / `EXPORTERID#metrics`, so `queue stats` shows it and a backlog of one
 * signal never holds up another. Requests stay the protobuf bytes the receiver got: senders read
 * `bytes()` only.
 */

/** How long shutdown waits for senders that ignore their abort signal before closing anyway. */
const WORKER_STOP_GRACE_MS = 2_000;
const DRAIN_POLL_MS = 10;

/** The queue owner id of an exporter's signal. */
export const signalQueueId = (exporterId: string, signal: BytesSignal) => `${exporterId}#${signal}`;

export function createSignalExporter(settings: CreateSettings, config: ExporterHelperConfig, signal: BytesSignal, sender: LogsSender): Component & SignalConsumer {
  const queueId = signalQueueId(settings.id, signal);
  const labels = { exporter: settings.id };
  const gaugeLabels = { exporter: settings.id, data_type: signal };
  const counters = settings.telemetry.signals[signal];
  const logger = settings.logger.child({ exporter: settings.id, data_type: signal });
  const queueConfig = config.sending_queue;
  const stop = new AbortController();
  setMaxListeners(0, stop.signal);
  const failureLog = new FailureLog(logger, failureLogIntervalMs());
  let queue: Queue | undefined;
  let provided: ProvidedQueue | undefined;
  let workers: Promise<void>[] = [];
  let closing = false;
  let shutdownPromise: Promise<void> | undefined;
  let shutdownGrace: AbortSignal | undefined;

  const hooks = (items: number, onRetry?: () => Promise<void>, stopSignal = stop.signal): DeliveryHooks => ({
    sender,
    timeoutMs: config.timeout,
    retry: config.retry_on_failure,
    stop: stopSignal,
    async onRetry(result, delayMs) {
      settings.telemetry.exporterRetries.inc(labels);
      counters.exporterSendFailed.inc(labels, items);
      failureLog.failed(result.reason, delayMs);
      await onRetry?.().catch((err: Error) => logger.warn('could not record a send attempt', { error: err.message }));
    },
  });

  const updateGauges = () => {
    if (!queue) return;
    settings.telemetry.queueSize.set(gaugeLabels, queue.size());
    settings.telemetry.deadLetterSize.set(gaugeLabels, queue.deadLetterSize());
  };

  const sent = (items: number, rejected: number, message?: string) => {
    failureLog.succeeded();
    counters.exporterSent.inc(labels, items);
    if (rejected > 0) {
      counters.partialRejected.inc(labels, rejected);
      logger.warn(`backend rejected part of a request (partial success; not retried)`, { [signal === 'traces' ? 'spans' : 'data_points']: rejected, message: redact(message ?? '') });
    }
  };

  async function handle(batch: QueuedRequest[]): Promise<void> {
    const items = batch.reduce((n, r) => n + r.items, 0);
    const outcome = await deliver(requestOf(signal, () => concatRequests(batch), items, () => batch.map((r) => r.bytes)), hooks(items, () => Promise.all(batch.map((r) => queue!.recordAttempt(r.id))).then(() => {})));
    if (outcome.kind === 'stopped') return;
    if (outcome.kind === 'sent') {
      await Promise.all(batch.map((r) => queue!.ack(r.id)));
      sent(items, outcome.rejected, outcome.message);
      // Sent before a crash, perhaps: the backend may hold them twice (docs/delivery.md).
      const redelivered = batch.reduce((n, r) => n + (r.redelivery ? r.items : 0), 0);
      if (redelivered > 0) counters.redelivered.inc(labels, redelivered);
    } else {
      const reason = redact(`${outcome.why}: ${outcome.reason}`);
      if (outcome.why !== 'permanent') failureLog.failed(outcome.reason, undefined);
      await Promise.all(batch.map((r) => queue!.deadLetter(r.id, reason)));
      counters.exporterSendFailed.inc(labels, items);
      counters.deadLettered.inc({ ...labels, reason: outcome.why }, items);
      logger.warn('moved a request to the dead-letter store', { items, why: outcome.why, reason: outcome.reason });
    }
    updateGauges();
  }

  async function handleSafely(batch: QueuedRequest[]): Promise<void> {
    try {
      await handle(batch);
    } catch (err) {
      // Stays stored and is sent again after a restart: a duplicate, never a loss.
      logger.error('queue bookkeeping failed; the request will be redelivered after restart', { error: (err as Error).message });
    }
  }

  async function work(q: Queue): Promise<void> {
    for (;;) {
      const item = await q.take(stop.signal);
      if (!item || stop.signal.aborted) return;
      await handleSafely([item]);
    }
  }

  async function sendNow(request: SignalRequest, cancel: AbortSignal | undefined): Promise<void> {
    const link = linkSignals(stop.signal, cancel, shutdownGrace);
    let outcome: DeliveryOutcome;
    try {
      outcome = await deliver(requestOf(signal, () => request.bytes, request.items), hooks(request.items, undefined, link.signal));
    } finally {
      link.unlink();
    }
    if (outcome.kind === 'sent') return sent(request.items, outcome.rejected, outcome.message);
    if (outcome.kind === 'stopped') {
      if (!stop.signal.aborted) throw cancelledError(cancel?.aborted ? cancel : shutdownGrace);
      throw new RetryableError(`exporter ${settings.id} is shutting down`);
    }
    counters.exporterSendFailed.inc(labels, request.items);
    if (outcome.why === 'permanent') throw new PermanentError(outcome.reason);
    throw new RetryableError(outcome.reason, outcome.retryAfterMs);
  }

  return {
    async start(host: Host) {
      shutdownGrace = host.shutdownGrace;
      provided = openSendingQueue(settings, host, queueConfig, logger, queueId);
      queue = provided?.queue;
      if (queue) {
        settings.telemetry.queueCapacity.set(gaugeLabels, queue.capacity);
        updateGauges();
      }
      await startSender(sender, host, queue);
      const q = queue;
      if (!q) return;
      workers = queueConfig.batch
        ? [runBatcher({ queue: q, config: queueConfig.batch, consumers: queueConfig.num_consumers, stop: stop.signal, send: handleSafely })]
        : Array.from({ length: queueConfig.num_consumers }, () => work(q));
    },

    async consume(request: SignalRequest, cancel?: AbortSignal) {
      if (request.items === 0) return;
      if (closing) {
        counters.exporterEnqueueFailed.inc(labels, request.items);
        throw new RetryableError(`exporter ${settings.id} is shutting down`, undefined, 'QUEUE_CLOSED');
      }
      if (!queueConfig.enabled) return sendNow(request, cancel);
      if (!queue) throw new RetryableError(`exporter ${settings.id} has not started`);
      let outcome;
      try {
        outcome = await untilAborted(queue.enqueue({ bytes: request.bytes, items: request.items, signal: cancel }), [cancel, shutdownGrace]);
      } catch (err) {
        counters.exporterEnqueueFailed.inc(labels, request.items);
        if (isRetryable(err) || isPermanent(err)) throw err;
        throw new RetryableError(`exporter ${settings.id} could not queue the request: ${(err as Error).message}`);
      }
      if (outcome === 'dropped') {
        settings.telemetry.droppedOnOverflow.inc({ ...labels, reason: 'queue_full' }, request.items);
        logger.warn(`sending queue full: dropping ${signal} (overflow_policy: drop_newest)`, { items: request.items });
      }
      updateGauges();
    },

    shutdown() {
      shutdownPromise ??= (async () => {
        closing = true;
        if (queue && provided && !provided.persistent) {
          const deadline = Date.now() + MEMORY_DRAIN_TIMEOUT_MS;
          while (queue.size() > 0 && Date.now() < deadline && !shutdownGrace?.aborted) await delay(DRAIN_POLL_MS);
        }
        stop.abort();
        await Promise.race([Promise.all(workers), delay(WORKER_STOP_GRACE_MS)]);
        if (provided && provided.unsentRecords() > 0) {
          logger.warn('in-memory sending queue not drained at shutdown; its items are lost (configure sending_queue.storage to keep them)', { items: provided.unsentRecords() });
        }
        await queue?.close();
        await sender.shutdown?.();
      })();
      return shutdownPromise;
    },
  };
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** The sender's view: bytes only; these requests have no decoded log form. */
function requestOf(signal: BytesSignal, bytes: () => Uint8Array, items: number, parts?: () => readonly Uint8Array[]): ExportRequest {
  return {
    records: items,
    signal,
    bytes,
    parts,
    logs: () => {
      throw new PermanentError(`a ${signal} request has no log records to read`);
    },
  };
}
