import type { GatewayConfig } from '../config/validate.js';
import type { Queue } from '../queue/queue.js';
import type { TailHub } from '../tail/hub.js';
import type { Component } from './component.js';

/**
 * What a running gateway shows of itself to the control plane (the admin extension's API, the
 * status page, the MCP endpoint): pipelines with their components and states, exporters with their
 * queues and delivery state. The service hands it out through `Host.gateway`
 * (docs/architecture.md §5), so nothing finds components by path or `instanceof`.
 */

/** A component's lifecycle, as `GET /api/v1/status` reports it. */
export type ComponentState = 'created' | 'starting' | 'running' | 'failed' | 'stopping' | 'stopped';

export type GatewayLifecycle = 'starting' | 'ready' | 'stopping' | 'stopped';

export interface ComponentView {
  /** As written in config: `type` or `type/name`. */
  readonly id: string;
  readonly kind: 'receiver' | 'processor' | 'exporter' | 'connector' | 'extension';
  readonly state: ComponentState;
}

export interface PipelineView {
  /** `logs`, `logs/audit`, … */
  readonly id: string;
  readonly receivers: ComponentView[];
  readonly processors: ComponentView[];
  readonly exporters: ComponentView[];
}

/** An exporter's delivery, for "retry state" and "last error" (reasons already scrubbed of secrets). */
export interface DeliveryState {
  /** Since when sends have been failing; undefined while delivery works. */
  readonly failingSinceMs?: number;
  /** Failed attempts in the current failing spell. */
  readonly failedAttempts: number;
  readonly lastError?: string;
  readonly lastErrorAtMs?: number;
}

/** What an exporter built on the exporter helper shows of itself. */
export interface ExporterInspection {
  /** Undefined when `sending_queue.enabled` is false or the exporter has not started. */
  readonly queue: Queue | undefined;
  /** true when the queue survives a restart (`sending_queue.storage`): only then are there dead letters. */
  readonly persistent: boolean;
  readonly delivery: DeliveryState;
}

/** A component that can be inspected (every exporter made by `createExporter`). */
export interface Inspectable {
  inspect(): ExporterInspection;
}

export function isInspectable(x: unknown): x is Inspectable {
  return typeof x === 'object' && x !== null && typeof (x as { inspect?: unknown }).inspect === 'function';
}

export interface GatewayView {
  /** The validated configuration the gateway runs (holds secrets: never serve it as is). */
  readonly config: GatewayConfig;
  /** A built receiver or exporter by id (the MCP tools read through the running make receiver). */
  component(kind: 'receiver' | 'exporter', id: string): Component | undefined;
  /** The service's lifecycle state. */
  state(): GatewayLifecycle;
  /** Every pipeline, in config order, with its components' states. */
  pipelines(): PipelineView[];
  /** Every extension in `service.extensions` with its state. */
  extensions(): ComponentView[];
  /** A configured exporter's inspection, or undefined for an unknown id (or one that cannot be inspected). */
  exporter(id: string): ExporterInspection | undefined;
  /** The live tail's taps (src/tail/); absent where no service runs (unit tests). */
  readonly tail?: TailHub;
}
