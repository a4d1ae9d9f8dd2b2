import type { ZodType } from 'zod';
import type { BytesSignal, Signal } from '../pdata/signal.js';
import type { Component, CreateSettings, LogsConsumer, ReceiverConsumers, SignalConsumer } from './component.js';

/**
 * A component type's entry in the registry (src/pipeline/registry.ts). `schema` validates and
 * defaults the component's config block; it must be strict so unknown keys are errors.
 */
interface FactoryBase<C> {
  /** The config type name, e.g. `otlphttp`. */
  readonly type: string;
  /** Other names accepted for the same type (the Collector's `otlp_http` for `otlphttp`). */
  readonly aliases?: readonly string[];
  readonly schema: ZodType<C>;
  /**
   * The pipeline signals the type takes (`logs` when absent). `validate` refuses the type in a
   * pipeline of any other signal, naming both (docs/compatibility.md).
   */
  readonly signals?: readonly Signal[];
  /**
   * What a valid config block sets that a pipeline of `signal` cannot use (e.g. span match keys in
   * a logs pipeline), as messages; `validate` reports each naming the component and the signal.
   */
  readonly signalConfigErrors?: (config: C, signal: Signal) => string[];
}

export interface ReceiverFactory<C = any> extends FactoryBase<C> {
  readonly kind: 'receiver';
  /**
   * `next` is the logs pipelines' fan-out (empty when no logs pipeline lists the receiver);
   * `consumers` says which signals have pipelines, for a receiver that takes more than logs.
   */
  create(settings: CreateSettings, config: C, next: LogsConsumer, consumers?: ReceiverConsumers): Component;
}

export interface ProcessorFactory<C = any> extends FactoryBase<C> {
  readonly kind: 'processor';
  /** true when the processor changes records in place: the fan-out gives it its own copy. */
  readonly mutatesData: boolean;
  create(settings: CreateSettings, config: C, next: LogsConsumer): Component & LogsConsumer;
  /** The processor in a traces or metrics pipeline (required when `signals` lists one). */
  createSignal?(settings: CreateSettings, config: C, next: SignalConsumer, signal: BytesSignal): Component & SignalConsumer;
}

export interface ExporterFactory<C = any> extends FactoryBase<C> {
  readonly kind: 'exporter';
  create(settings: CreateSettings, config: C): Component & LogsConsumer;
  /**
   * The exporter's instance for one more signal (required when `signals` lists traces or
   * metrics): its own queue, owned as `EXPORTERID#traces` / `EXPORTERID#metrics`.
   */
  createSignal?(settings: CreateSettings, config: C, signal: BytesSignal): Component & SignalConsumer;
}

/**
 * What an extension offers other components, checked at validate time against how they name it:
 * `storage` (a `storage` or `sending_queue.storage` key), `server_auth` (a receiver's
 * `auth.authenticator`), `client_auth` (an exporter's `auth.authenticator`).
 */
export type ExtensionCapability = 'storage' | 'server_auth' | 'client_auth';

export interface ExtensionFactory<C = any> extends FactoryBase<C> {
  readonly kind: 'extension';
  readonly provides?: readonly ExtensionCapability[];
  create(settings: CreateSettings, config: C): Component;
}

/** A pipeline a connector hands logs to, as the service built it. */
export interface ConnectorTarget {
  readonly consumer: LogsConsumer;
  /** The pipeline changes records in place, so it needs its own copy of what it is given. */
  readonly mutates: boolean;
}

/**
 * A connector (docs/architecture.md §3): the exporter of one pipeline and the receiver of others,
 * declared under `connectors:`. It is given the head of every pipeline that lists it as a receiver.
 */
export interface ConnectorFactory<C = any> extends FactoryBase<C> {
  readonly kind: 'connector';
  /**
   * The pipeline ids the config names (the routing table's `pipelines`, `default_pipelines`) with
   * their key paths, so `validate` can check each is a pipeline that receives from the connector.
   */
  pipelinesNamed?(config: C): { path: (string | number)[]; pipeline: string }[];
  create(settings: CreateSettings, config: C, pipelines: ReadonlyMap<string, ConnectorTarget>): Component & LogsConsumer;
}

export type AnyFactory = ReceiverFactory | ProcessorFactory | ExporterFactory | ExtensionFactory | ConnectorFactory;
