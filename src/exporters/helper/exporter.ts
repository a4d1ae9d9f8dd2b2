import { setMaxListeners } from 'node:events';
import { PermanentError, RetryableError, isPermanent, isRetryable } from '../../errors.js';
import { countLogRecords, type Logs } from '../../pdata/model.js';
import { decodeLogs, encodeLogs } from '../../pdata/proto.js';
import { wireBytesOf } from '../../pdata/wire-bytes.js';
import type { Component, CreateSettings, Host, LogsConsumer } from '../../pipeline/component.js';
import type { Inspectable } from '../../pipeline/gateway-view.js';
import { redact } from '../../telemetry/secrets.js';
import type { Queue, QueuedRequest } from '../../queue/queue.js';
import type { ExporterHelperConfig } from './config.js';
import { openSendingQueue, startSender, type ProvidedQueue } from './queue-provider.js';
import { deliver, type DeliveryHooks, type DeliveryOutcome } from './delivery.js';
import { concatRequests, runBatcher } from './batcher.js';
import { oversizeParts } from './oversize.js';
import { deliverHalving, RequestMerger, type AttemptResult } from './merge.js';
import { FailureLog, failureLogIntervalMs } from './failure-log.js';
import { cancelledError, linkSignals, untilAborted } from '../../pipeline/cancellation.js';
import { attachRequestContext, pickRequestContext, withRequestContext } from '../../pipeline/request-context.js';
import { contextKeysOf, inContextGroups } from './context-groups.js';

type SentOutcome = Extract<DeliveryOutcome, { kind: 'sent' }>;
import type { ExportRequest, LogsSender } from './sender.js';

/**
 * What every exporter shares (docs/architecture.md §3–§5): `consume` encodes once and returns only
 * after the request is durably queued; `num_consumers` workers take requests, send them through
 * the exporter's LogsSender with a timeout, retry with backoff, and acknowledge or dead-letter.
 * Shutdown stops the workers and aborts in-flight sends but never removes anything from the queue:
 * what was not delivered is delivered after the next start. A `consume` that waits (a full queue
 * with `block_on_overflow`, a send without a queue) ends when its signal or the host's shutdown
 * grace signal aborts, with a retryable error: nothing of it was acknowledged.
 */

/** Overflow drops are logged at most this often, with the count since the last line. */
const DROP_WARN_INTERVAL_MS = 10_000;
/**
 * How long shutdown lets an in-memory queue drain before giving up on it (a persistent queue
 * needs no drain: what is stored is delivered after the next start).
 */
export const MEMORY_DRAIN_TIMEOUT_MS = 5_000;
/** How long shutdown waits for senders that ignore their abort signal before closing anyway. */
const WORKER_STOP_GRACE_MS = 2_000;
const DRAIN_POLL_MS = 10;

/** Seams for tests: deterministic jitter and recorded backoff sleeps. */
export interface ExporterInternals {
  random?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  now?: () => number;
  /** Overrides MEMORY_DRAIN_TIMEOUT_MS. */
  memoryDrainTimeoutMs?: number;
  /** Overrides the failure log's interval (failure-log.ts). */
  failureLogIntervalMs?: number;
}

export function createExporter(
  settings: CreateSettings,
  config: ExporterHelperConfig,
  sender: LogsSender,
  internals: ExporterInternals = {},
): Component & LogsConsumer & Inspectable {
  const labels = { exporter: settings.id };
  const { telemetry } = settings;
  const logger = settings.logger.child({ exporter: settings.id });
  const queueConfig = config.sending_queue;
  const stopController = new AbortController();
  // Every delivery in flight listens on it (and unhooks when done: delivery.ts); more than ten at
  // once is normal with the queue off or many consumers, not a leak, so no warning for it.
  setMaxListeners(0, stopController.signal);
  let queue: Queue | undefined;
  let provided: ProvidedQueue | undefined;
  let workers: Promise<void>[] = [];
  let shutdownPromise: Promise<void> | undefined;
  let closing = false;
  let droppedSinceWarn = 0;
  /**
   * The last delivery's outcome was a success: only then do workers merge (merge.ts). False at
   * start: a gateway restarted during an outage must not take its whole backlog into merges (each
   * request taken is marked, and after a crash counted as a possible redelivery).
   */
  let backendHealthy = false;
  let lastDropWarnAt = 0;
  /** Aborts when shutdown's grace period has passed (the host's; absent in unit tests). */
  let shutdownGrace: AbortSignal | undefined;
  /** Request metadata keys the exporter's headers_setter reads (`from_context`); usually none. */
  let contextKeys: string[] = [];
  const failureLog = new FailureLog(logger, internals.failureLogIntervalMs ?? failureLogIntervalMs(), internals.now);

  const hooks = (records: number, onRetry?: () => Promise<void>, stop = stopController.signal): DeliveryHooks => ({
    sender,
    timeoutMs: config.timeout,
    retry: config.retry_on_failure,
    stop,
    random: internals.random,
    sleep: internals.sleep,
    now: internals.now,
    async onRetry(result, delayMs) {
      backendHealthy = false;
      telemetry.exporterRetries.inc(labels);
      telemetry.exporterSendFailed.inc(labels, records);
      logger.debug('send failed, will retry', { reason: result.reason, delay_ms: delayMs });
      failureLog.failed(result.reason, delayMs);
      // Recording the attempt is bookkeeping: a storage hiccup must not abandon the request.
      await onRetry?.().catch((err: Error) => logger.warn('could not record a send attempt', { error: err.message }));
    },
  });

  const updateGauges = () => {
    if (!queue) return;
    telemetry.queueSize.set(labels, queue.size());
    telemetry.deadLetterSize.set(labels, queue.deadLetterSize());
  };

  /** Counts a delivered request; `deadLettered` of its rejected records went to the dead-letter store. */
  const recordSent = (records: number, outcome: SentOutcome, deadLettered = 0) => {
    failureLog.succeeded();
    telemetry.exporterSent.inc(labels, records);
    const partial = outcome.rejected - deadLettered;
    if (partial > 0) {
      telemetry.partialRejected.inc(labels, partial);
      logger.warn('backend rejected part of a request (partial success; not retried)', { records: partial });
    }
  };

  /**
   * Records a sender handed back as never acceptable go to the dead-letter store before the
   * request is acknowledged: a crash in between stores them twice (visible, replayable), never zero times.
   */
  async function deadLetterRejected(outcome: SentOutcome): Promise<number> {
    const rejected = outcome.rejectedLogs;
    const records = rejected ? countLogRecords(rejected) : 0;
    if (!rejected || records === 0) return 0;
    const reason = redact(`permanent: ${outcome.message ?? 'the backend can never accept these records'}`);
    await queue!.deadLetterNew(encodeLogs(rejected), records, reason);
    telemetry.deadLettered.inc({ ...labels, reason: 'permanent' }, records);
    logger.warn('moved records the backend can never accept to the dead-letter store; the rest was delivered', { records, reason });
    return records;
  }

  /** A permanent failure or exhausted retries: the reason, scrubbed of secrets a backend echoed. */
  const failureReason = (outcome: { why: string; reason: string }) => redact(`${outcome.why}: ${outcome.reason}`);

  /**
   * One queued request bigger than `batch.max_size`, sent as parts in order (oversize.ts). A part
   * that fails for good goes to the dead-letter store alone and the rest still go; the request is
   * acked once every part was delivered or dead-lettered. Stopped midway, it stays queued and is
   * sent whole again after the restart: the parts already delivered arrive twice, never zero times.
   */
  async function handleParts(request: QueuedRequest, parts: Logs[]): Promise<boolean> {
    for (const part of parts) {
      const records = countLogRecords(part);
      const outcome = await deliver({ records, logs: () => part, bytes: memo(() => encodeLogs(part)) }, hooks(records, () => queue!.recordAttempt(request.id)));
      if (outcome.kind === 'stopped') return false;
      if (outcome.kind === 'sent') {
        backendHealthy = true;
        recordSent(records, outcome, await deadLetterRejected(outcome));
        continue;
      }
      if (outcome.why !== 'permanent') failureLog.failed(outcome.reason, undefined);
      await queue!.deadLetterNew(encodeLogs(part), records, failureReason(outcome));
      telemetry.exporterSendFailed.inc(labels, records);
      telemetry.deadLettered.inc({ ...labels, reason: outcome.why }, records);
      logger.warn('moved part of a request split at batch.max_size to the dead-letter store', { records, why: outcome.why, reason: outcome.reason });
    }
    await queue!.ack(request.id);
    if (request.redelivery) telemetry.redelivered.inc(labels, request.items);
    updateGauges();
    return true;
  }

  /**
   * Deliver one queued request, or several as one (merged: merge.ts, or a send batch: batcher.ts),
   * then ack or dead-letter each of them. Requests that carry request metadata are sent in groups
   * of equal metadata, each group with its own (context-groups.ts). A merged request the backend
   * refuses for good is halved until only the requests it can never accept are left to dead-letter
   * (merge.ts, deliverHalving).
   */
  function handle(batch: QueuedRequest[]): Promise<boolean> {
    return contextKeys.length === 0 ? handleGroup(batch) : inContextGroups(batch, handleGroup);
  }

  async function handleGroup(batch: QueuedRequest[]): Promise<boolean> {
    const parts = batch.length === 1 ? oversizeParts(batch[0]!, queueConfig.batch) : undefined;
    if (parts) return handleParts(batch[0]!, parts);
    return deliverHalving(batch, handleOnce);
  }

  async function handleOnce(batch: readonly QueuedRequest[]): Promise<AttemptResult> {
    const records = batch.reduce((n, r) => n + r.items, 0);
    const outcome = await deliver(exportRequestOf(batch, records), hooks(records, () => Promise.all(batch.map((r) => queue!.recordAttempt(r.id))).then(() => {})));
    if (outcome.kind === 'stopped') return 'stopped';
    if (outcome.kind === 'sent') backendHealthy = true;
    // A request refused for good says nothing about the backend's health; an outage does.
    else if (outcome.why !== 'permanent') backendHealthy = false;
    if (outcome.kind === 'sent') {
      const deadLettered = await deadLetterRejected(outcome);
      await Promise.all(batch.map((r) => queue!.ack(r.id)));
      recordSent(records, outcome, deadLettered);
      const redelivered = batch.reduce((n, r) => n + (r.redelivery ? r.items : 0), 0);
      if (redelivered > 0) telemetry.redelivered.inc(labels, redelivered);
    } else if (outcome.why === 'permanent' && batch.length > 1) {
      // Refused whole: nothing of it reached the backend, so its halves are no redelivery.
      logger.debug('backend refused a merged request for good; sending its halves apart', { requests: batch.length, records, reason: outcome.reason });
      return 'poison';
    } else {
      // The reason is stored and shown by `queue dead-letter list`: scrub secrets a backend echoed.
      // Each request of a batch keeps its own dead-letter entry, so it can be replayed alone.
      const reason = failureReason(outcome);
      if (outcome.why !== 'permanent') failureLog.failed(outcome.reason, undefined);
      await Promise.all(batch.map((r) => queue!.deadLetter(r.id, reason)));
      telemetry.exporterSendFailed.inc(labels, records);
      telemetry.deadLettered.inc({ ...labels, reason: outcome.why }, records);
      logger.warn('moved a request to the dead-letter store', { records, requests: batch.length, why: outcome.why, reason: outcome.reason });
    }
    updateGauges();
    return 'done';
  }

  /** `handle` for a worker: a storage error must not end the worker. */
  async function handleSafely(batch: QueuedRequest[]): Promise<boolean> {
    try {
      return await handle(batch);
    } catch (err) {
      // A storage error on ack/dead-letter: the requests stay stored and are sent again after a
      // restart (a duplicate, never a loss).
      logger.error('queue bookkeeping failed; the request will be redelivered after restart', { error: (err as Error).message });
      return true;
    }
  }

  /** A worker without `sending_queue.batch`: sends each request with those queued behind it (merge.ts). */
  async function work(merger: RequestMerger): Promise<void> {
    for (;;) {
      const batch = await merger.next(stopController.signal);
      if (!batch || stopController.signal.aborted) return;
      if (!(await handleSafely(batch))) return;
    }
  }

  function startWorkers(q: Queue): Promise<void>[] {
    const batch = queueConfig.batch;
    if (!batch) return Array.from({ length: queueConfig.num_consumers }, () => work(new RequestMerger(q, () => backendHealthy)));
    return [runBatcher({ queue: q, config: batch, consumers: queueConfig.num_consumers, stop: stopController.signal, now: internals.now, send: (b) => handleSafely(b).then(() => {}) })];
  }

  /**
   * Without a queue the client waits for the backend: its retries end when the client goes away or
   * shutdown's grace passes, as well as when the exporter stops.
   */
  async function sendNow(logs: Logs, records: number, signal: AbortSignal | undefined): Promise<void> {
    const link = linkSignals(stopController.signal, signal, shutdownGrace);
    let outcome: DeliveryOutcome;
    try {
      const context = pickRequestContext(logs.client, contextKeys);
      outcome = await withRequestContext(context, () => deliver({ records, logs: () => logs, bytes: memo(() => protobufOf(logs)) }, hooks(records, undefined, link.signal)));
    } finally {
      link.unlink();
    }
    switch (outcome.kind) {
      case 'sent':
        // Without a queue there is no dead-letter store: such records are counted as rejected.
        telemetry.exporterAccepted.inc(labels, records);
        recordSent(records, outcome);
        if (outcome.rejectedLogs) logger.warn('dropped records the backend can never accept (no sending_queue, so no dead-letter store)', { records: countLogRecords(outcome.rejectedLogs), reason: redact(outcome.message ?? '') });
        return;
      case 'stopped':
        if (!stopController.signal.aborted) throw cancelledError(signal?.aborted ? signal : shutdownGrace);
        throw new RetryableError(`exporter ${settings.id} is shutting down`);
      case 'failed':
        if (outcome.why !== 'permanent') failureLog.failed(outcome.reason, undefined);
        telemetry.exporterSendFailed.inc(labels, records);
        if (outcome.why === 'permanent') throw new PermanentError(outcome.reason);
        throw new RetryableError(outcome.reason, outcome.retryAfterMs);
    }
  }

  function abandonedEnqueue(enqueued: Promise<unknown>) {
    enqueued.then(
      (outcome) => {
        if (outcome !== 'dropped') updateGauges();
        logger.debug('a cancelled request was queued after its client stopped waiting; its resend will be a duplicate');
      },
      () => {},
    );
  }

  function noteDropped(records: number) {
    telemetry.droppedOnOverflow.inc({ ...labels, reason: 'queue_full' }, records);
    droppedSinceWarn += records;
    const now = Date.now();
    if (now - lastDropWarnAt >= DROP_WARN_INTERVAL_MS) {
      logger.warn('sending queue full: dropping log records (overflow_policy: drop_newest)', { records: droppedSinceWarn });
      droppedSinceWarn = 0;
      lastDropWarnAt = now;
    }
  }

  return {
    async start(host: Host) {
      shutdownGrace = host.shutdownGrace;
      contextKeys = contextKeysOf(host, config.auth?.authenticator);
      provided = openSendingQueue(settings, host, queueConfig, logger);
      queue = provided?.queue;
      if (queue) {
        telemetry.queueCapacity.set(labels, queue.capacity);
        updateGauges();
      }
      await startSender(sender, host, queue);
      if (queue) workers = startWorkers(queue);
    },

    async consume(logs: Logs, signal?: AbortSignal) {
      const records = countLogRecords(logs);
      if (records === 0) return;
      if (closing) {
        telemetry.exporterEnqueueFailed.inc(labels, records);
        throw new RetryableError(`exporter ${settings.id} is shutting down`, undefined, 'QUEUE_CLOSED');
      }
      if (!queueConfig.enabled) return sendNow(logs, records, signal);
      if (!queue) throw new RetryableError(`exporter ${settings.id} has not started`);
      let outcome;
      try {
        // The decoded form rides along in the memory queue only for senders that read it; for the
        // others it would only keep ~10× the bytes' size alive in the heap (GC time, RSS).
        // A full blocking queue waits for room: the wait ends when the client goes away (the queue
        // drops the waiter) or shutdown's grace passes (the queue's close refuses the waiter soon
        // after; an enqueue admitted in between is stored: a duplicate of the resend, never a loss).
        const bytes = contextKeys.length === 0 ? protobufOf(logs) : attachRequestContext(protobufOf(logs), pickRequestContext(logs.client, contextKeys));
        const enqueued = queue.enqueue({ bytes, items: records, logs: sender.sendsBytes ? undefined : logs, signal });
        outcome = await untilAborted(enqueued, [signal, shutdownGrace], abandonedEnqueue);
      } catch (err) {
        telemetry.exporterEnqueueFailed.inc(labels, records);
        if (isRetryable(err) || isPermanent(err)) throw err;
        throw new RetryableError(`exporter ${settings.id} could not queue the request: ${(err as Error).message}`);
      }
      if (outcome === 'dropped') noteDropped(records);
      else telemetry.exporterAccepted.inc(labels, records);
      updateGauges();
    },

    /** For the admin API (src/pipeline/gateway-view.ts). */
    inspect() {
      return { queue, persistent: queueConfig.enabled && queueConfig.storage !== undefined, delivery: failureLog.state() };
    },

    shutdown() {
      shutdownPromise ??= (async () => {
        closing = true;
        if (queue && !provided?.persistent) await drain(queue, internals.memoryDrainTimeoutMs ?? MEMORY_DRAIN_TIMEOUT_MS, shutdownGrace);
        stopController.abort();
        await Promise.race([Promise.all(workers), delay(WORKER_STOP_GRACE_MS)]);
        const lost = provided?.unsentRecords() ?? 0;
        if (lost > 0) {
          telemetry.droppedOnOverflow.inc({ ...labels, reason: 'shutdown' }, lost);
          logger.warn('in-memory sending queue not drained at shutdown; its records are lost (configure sending_queue.storage to keep them)', { records: lost });
        }
        await queue?.close();
        await sender.shutdown?.();
      })();
      return shutdownPromise;
    },
  };
}

/** Lets an in-memory queue drain, for at most `timeoutMs` and not past shutdown's grace period. */
async function drain(queue: Queue, timeoutMs: number, grace: AbortSignal | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (queue.size() > 0 && Date.now() < deadline && !grace?.aborted) await delay(DRAIN_POLL_MS);
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** The receiver's bytes when the request arrived as protobuf and nothing changed it since. */
function protobufOf(logs: Logs): Uint8Array {
  return wireBytesOf(logs) ?? encodeLogs(logs);
}

/** The sender's view of queued requests (one, or a batch): bytes as stored, decoded only if asked, once. */
function exportRequestOf(batch: readonly QueuedRequest[], records: number): ExportRequest {
  const bytes = memo(() => concatRequests(batch));
  const logs = memo((): Logs => {
    if (batch.length === 1) return batch[0]!.logs ?? decodeLogs(batch[0]!.bytes);
    if (batch.every((r) => r.logs)) return { resourceLogs: batch.flatMap((r) => r.logs!.resourceLogs) };
    return decodeLogs(bytes());
  });
  return { records, bytes, logs, parts: () => batch.map((r) => r.bytes) };
}

function memo<T>(make: () => T): () => T {
  let value: T | undefined;
  let made = false;
  return () => {
    if (!made) {
      value = make();
      made = true;
    }
    return value as T;
  };
}
