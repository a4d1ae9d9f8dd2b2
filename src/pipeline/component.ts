import type { Logs } from '../pdata/model.js';
import type { SignalRequest } from '../pdata/signal.js';
import type { Logger } from '../telemetry/logger.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { GatewayView } from './gateway-view.js';

/** Every receiver, processor, exporter and extension. */
export interface Component {
  /** Acquire resources (ports, files, timers). Rejecting aborts the gateway's start. */
  start(host: Host): Promise<void>;
  /** Release them; drains in-flight work. Idempotent: the second call resolves at once. */
  shutdown(): Promise<void>;
}

/**
 * Where a component hands logs on. The promise resolves only once the data is durably accepted
 * downstream (every exporter queue committed it). It rejects with `RetryableError` or
 * `PermanentError` (src/errors.ts); the receiver maps that to its protocol's status.
 */
export interface LogsConsumer {
  /**
   * `signal` (optional, as the Collector's `ctx`): aborts when nobody waits for the answer any more
   * (the client went away) or shutdown's grace period ended. A consumer that would wait (for room
   * in a full queue, for a batch, for a backend) then gives up with a `RetryableError` (the client
   * is answered 503 / UNAVAILABLE and resends). A consumer that hands on must pass it along.
   */
  consume(logs: Logs, signal?: AbortSignal): Promise<void>;
}

/**
 * Where a component hands traces or metrics on: the same contract as `LogsConsumer` (resolves once
 * every exporter queue committed the request; rejects with `RetryableError` / `PermanentError`),
 * for a request that stays the protobuf bytes it arrived in (src/pdata/signal.ts).
 */
export interface SignalConsumer {
  consume(request: SignalRequest, signal?: AbortSignal): Promise<void>;
}

/** The pipelines' heads a receiver feeds, by signal; absent when no pipeline of that signal lists it. */
export interface ReceiverConsumers {
  readonly logs?: LogsConsumer;
  readonly traces?: SignalConsumer;
  readonly metrics?: SignalConsumer;
}

/** What components can reach at start. */
export interface Host {
  /** The started extension with this id (`file_storage`, `file_storage/queue`, ...), if configured. */
  getExtension(id: string): Component | undefined;
  /**
   * Aborts when shutdown's grace period (`service.shutdown_grace_period`) has passed: whatever still
   * waits for a client's request ends then, even when no `consume` signal reached it.
   */
  readonly shutdownGrace?: AbortSignal;
  /**
   * The running gateway as the control plane sees it (pipelines, component states, exporter
   * queues): for the admin extension. Absent in unit tests that build a bare host.
   */
  readonly gateway?: GatewayView;
}

/** Given to every factory's `create`. */
export interface CreateSettings {
  /** Component id as written in config: `type` or `type/name`. */
  readonly id: string;
  readonly telemetry: Telemetry;
  readonly logger: Logger;
}
