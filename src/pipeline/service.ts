import type { GatewayConfig } from '../config/validate.js';
import { GatewayError } from '../errors.js';
import type { Logger } from '../telemetry/logger.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { Component, CreateSettings, Host, LogsConsumer, SignalConsumer } from './component.js';
import type { ConnectorFactory, ConnectorTarget, ExporterFactory, ExtensionFactory, ProcessorFactory, ReceiverFactory } from './factory.js';
import { forgetWireBytes } from '../pdata/wire-bytes.js';
import { FanOut } from './fanout.js';
import { passThroughBatchConfig, planBatchPlacement, queueBatchOf, sendingQueueOf, withQueueBatch, type BatchPlacement } from './batch-placement.js';
import { SignalFanOut } from './signal-fanout.js';
import type { BytesSignal } from '../pdata/signal.js';
import { CancelReason } from './cancellation.js';
import { TailHub } from '../tail/hub.js';
import { TailMetrics } from '../tail/tail-metrics.js';
import { ServiceView } from './service-view.js';
import type { ComponentState, GatewayView } from './gateway-view.js';

/**
 * Builds the component graph from a validated config and runs its lifecycle.
 *
 * Graph: one instance per receiver id (fanning out to every pipeline that lists it), one instance
 * per processor id per pipeline (as in the Collector), one instance per exporter id (shared by the
 * pipelines that list it), one instance per connector id (the exporter of some pipelines and the
 * receiver of others: it is handed the heads of the pipelines it feeds, so those are built first).
 * Start order: extensions, exporters, processors and connectors (downstream first), receivers, so nothing receives data before its downstream is ready; shutdown goes the other way
 * (see doShutdown), so every stage drains into a still-running next one. Shutdown's grace period
 * (`service.shutdown_grace_period`) bounds how long requests still waiting are let finish: then
 * `shutdownGrace` aborts and they are answered 503 / UNAVAILABLE (docs/delivery.md).
 */
export type GatewayState = 'starting' | 'ready' | 'stopping' | 'stopped';

interface Named {
  id: string;
  kind: 'extension' | 'exporter' | 'processor' | 'connector' | 'receiver';
  component: Component;
  /** Lifecycle for the control plane (gateway-view.ts). */
  state?: ComponentState;
}

export class Service implements Host {
  private readonly extensions = new Map<string, Component>();
  private readonly exporters = new Map<string, Component & LogsConsumer>();
  private readonly receivers = new Map<string, Component>();
  /** In start order. */
  private readonly ordered: Named[] = [];
  private readonly started: Named[] = [];
  private state: GatewayState = 'starting';
  private stopping?: Promise<void>;
  private readonly grace = new AbortController();
  private readonly placement: BatchPlacement;
  /** The live tail's taps, at each pipeline's head and after each of its processors (src/tail/). */
  readonly tail: TailHub;
  /** The control plane's view of this service (Host.gateway). */
  readonly gateway: GatewayView;

  constructor(
    private readonly config: GatewayConfig,
    private readonly telemetry: Telemetry,
    private readonly logger: Logger,
  ) {
    this.placement = planBatchPlacement(config);
    this.tail = new TailHub(undefined, new TailMetrics(telemetry.registry));
    this.build();
    this.gateway = new ServiceView(config, this.ordered, () => this.state, this.exporters, this.tail);
  }

  get shutdownGrace(): AbortSignal {
    return this.grace.signal;
  }

  getExtension(id: string): Component | undefined {
    return this.extensions.get(id);
  }

  /** A started receiver by id (tests read bound ports from it). */
  getReceiver(id: string): Component | undefined {
    return this.receivers.get(id);
  }

  getExporter(id: string): Component | undefined {
    return this.exporters.get(id);
  }

  get status(): GatewayState {
    return this.state;
  }

  async start(): Promise<void> {
    this.setState('starting');
    for (const w of this.placement.warnings) this.logger.warn(w);
    for (const id of this.placement.behindQueue) {
      this.logger.info('batching happens behind the persistent sending queues: acknowledgements do not wait for the batch timeout', { pipeline: id });
    }
    for (const n of this.ordered) {
      n.state = 'starting';
      try {
        await n.component.start(this);
      } catch (err) {
        n.state = 'failed';
        const msg = `${n.kind} ${n.id} failed to start: ${(err as Error).message}`;
        this.logger.error(msg);
        await this.shutdown();
        throw new GatewayError('COMPONENT_START_FAILED', msg, { cause: err });
      }
      n.state = 'running';
      this.started.push(n);
    }
    this.setState('ready');
    this.logger.info('everything is ready; begin running and processing data', {
      pipelines: this.config.service.pipelines.map((p) => p.id).join(','),
    });
  }

  shutdown(): Promise<void> {
    this.stopping ??= this.doShutdown();
    return this.stopping;
  }

  private async doShutdown(): Promise<void> {
    this.setState('stopping');
    this.tail.shutdown();
    const graceMs = this.config.service.shutdown_grace_period;
    const graceTimer = setTimeout(() => {
      this.logger.warn('shutdown grace period passed; answering requests still waiting with 503 / UNAVAILABLE', { shutdown_grace_period_ms: graceMs });
      this.grace.abort(new CancelReason(`the gateway is shutting down (service.shutdown_grace_period of ${graceMs} ms passed)`));
    }, graceMs);
    const stop = async (n: Named) => {
      n.state = 'stopping';
      try {
        await n.component.shutdown();
        n.state = 'stopped';
      } catch (err) {
        n.state = 'failed';
        this.logger.error(`${n.kind} ${n.id} failed to shut down cleanly: ${(err as Error).message}`);
      }
    };
    const reversed = [...this.started].reverse();
    const of = (kind: Named['kind']) => reversed.filter((n) => n.kind === kind);
    // Receivers stop taking data and wait for their in-flight requests, while processors drain at
    // the same time: a receiver's in-flight request may be waiting in a batch that only the batch
    // processor's shutdown flushes now (rather than at its timeout). A stopped processor hands data
    // straight on, so requests still in flight keep flowing to the exporters, which stop last.
    const receivers = Promise.all(of('receiver').map(stop));
    // Connectors sit between processors and stop with them, upstream first (reverse start order).
    for (const n of reversed.filter((x) => x.kind === 'processor' || x.kind === 'connector')) await stop(n);
    await receivers;
    for (const n of of('exporter')) await stop(n);
    for (const n of of('extension')) await stop(n);
    clearTimeout(graceTimer);
    this.started.length = 0;
    this.state = 'stopped';
  }

  private setState(s: GatewayState): void {
    this.state = s;
    for (const ext of this.extensions.values()) {
      const withStatus = ext as Component & { setStatus?: (s: GatewayState) => void };
      withStatus.setStatus?.(s);
    }
  }

  private settings(id: string, kind: string): CreateSettings {
    return { id, telemetry: this.telemetry, logger: this.logger.child({ component: `${kind}/${id}` }) };
  }

  private build(): void {
    const c = this.config;
    for (const id of c.service.extensions) {
      const cc = c.extensions.get(id)!;
      const ext = (cc.factory as ExtensionFactory).create(this.settings(id, 'extension'), cc.config);
      this.extensions.set(id, ext);
      this.ordered.push({ id, kind: 'extension', component: ext });
    }

    const logsPipelines = c.service.pipelines.filter((p) => (p.signal ?? 'logs') === 'logs');
    const used = (key: 'exporters' | 'receivers', pipelines: readonly typeof logsPipelines[number][] = logsPipelines) => [...new Set(pipelines.flatMap((p) => p[key]))];
    for (const id of used('exporters')) {
      const cc = c.exporters.get(id);
      if (!cc) continue; // a connector: built with the pipelines it feeds
      const queueBatch = this.placement.exporterBatch.get(id);
      const config = queueBatch ? withQueueBatch(cc.config as Parameters<typeof withQueueBatch>[0], queueBatch) : cc.config;
      const exp = (cc.factory as ExporterFactory).create(this.settings(id, 'exporter'), config);
      this.exporters.set(id, exp);
      this.ordered.push({ id, kind: 'exporter', component: exp });
    }

    const signalHeads = this.buildSignalPipelines();
    const heads = new Map<string, ConnectorTarget>();
    const connectors = new Map<string, ConnectorTarget>();
    // Built on demand, downstream first: a connector needs the heads of the pipelines it feeds.
    // validate refused cycles, so the recursion ends.
    const headOf = (pid: string): ConnectorTarget => {
      const built = heads.get(pid);
      if (built) return built;
      const p = logsPipelines.find((x) => x.id === pid)!;
      const targets = p.exporters.map((id) => this.exporters.get(id) ? { consumer: this.exporters.get(id)!, mutates: false } : connectorOf(id));
      let next: LogsConsumer = new FanOut(targets);
      let mutates = false;
      for (const id of [...p.processors].reverse()) {
        const cc = c.processors.get(id)!;
        const factory = cc.factory as ProcessorFactory;
        // Batching behind the persistent queues: the processor hands requests on at once.
        const behindQueue = factory.type === 'batch' && this.placement.behindQueue.has(p.id);
        const config = behindQueue ? passThroughBatchConfig(cc.config as Parameters<typeof passThroughBatchConfig>[0]) : cc.config;
        const proc = factory.create(this.settings(id, 'processor'), config, this.tail.tap(p.id, id, next));
        mutates ||= factory.mutatesData;
        this.ordered.push({ id: `${id} (pipeline ${p.id})`, kind: 'processor', component: proc });
        next = proc;
      }
      // Processors that may change records in place make the receiver's wire bytes stale.
      if (mutates) next = forgettingWireBytes(next);
      // A connector whose pipelines change records makes this pipeline's data theirs to change too.
      // The head tap looks before anything may change the records or forget the wire bytes.
      const head = { consumer: this.tail.tap(pid, undefined, next), mutates: mutates || targets.some((t) => t.mutates) };
      heads.set(pid, head);
      return head;
    };
    const connectorOf = (id: string): ConnectorTarget => {
      const built = connectors.get(id);
      if (built) return built;
      const cc = c.connectors.get(id)!;
      const fed = new Map(c.service.pipelines.filter((p) => p.receivers.includes(id)).map((p) => [p.id, headOf(p.id)] as const));
      const conn = (cc.factory as ConnectorFactory).create(this.settings(id, 'connector'), cc.config, fed);
      this.ordered.push({ id, kind: 'connector', component: conn });
      const target = { consumer: conn, mutates: [...fed.values()].some((h) => h.mutates) };
      connectors.set(id, target);
      return target;
    };
    for (const p of logsPipelines) headOf(p.id);

    for (const id of used('receivers', c.service.pipelines)) {
      const cc = c.receivers.get(id);
      if (!cc) continue; // a connector: built with the pipeline it is an exporter of
      const targets = logsPipelines.filter((p) => p.receivers.includes(id)).map((p) => heads.get(p.id)!);
      const logs = new FanOut(targets);
      const consumers = { logs: targets.length > 0 ? logs : undefined, traces: signalHeads.traces(id), metrics: signalHeads.metrics(id) };
      const rec = (cc.factory as ReceiverFactory).create(this.settings(id, 'receiver'), cc.config, logs, consumers);
      this.receivers.set(id, rec);
      this.ordered.push({ id, kind: 'receiver', component: rec });
    }
  }
  /**
   * Traces and metrics pipelines (src/pdata/signal.ts): each exporter gets one instance per signal
   * with its own queue (`EXPORTERID#traces`); a batch processor's settings shape those exporters'
   * send batches (processors/batch/signal-processor.ts). Returns each receiver's fan-out per signal.
   */
  private buildSignalPipelines(): Record<BytesSignal, (receiverId: string) => SignalConsumer | undefined> {
    const c = this.config;
    const heads = new Map<string, SignalConsumer>();
    const exporters = new Map<string, Component & SignalConsumer>();
    for (const p of c.service.pipelines) {
      const signal = p.signal ?? 'logs';
      if (signal === 'logs') continue;
      const batchId = [...p.processors].reverse().find((id) => c.processors.get(id)?.factory.type === 'batch');
      const shape = batchId ? queueBatchOf(c.processors.get(batchId)!.config as Parameters<typeof queueBatchOf>[0]) : undefined;
      const targets = p.exporters.map((id) => {
        const key = `${id}#${signal}`;
        let exp = exporters.get(key);
        if (!exp) {
          const cc = c.exporters.get(id)!;
          const own = sendingQueueOf(cc)?.batch;
          const config = shape && own === undefined ? withQueueBatch(cc.config as Parameters<typeof withQueueBatch>[0], shape) : cc.config;
          exp = (cc.factory as ExporterFactory).createSignal!(this.settings(id, 'exporter'), config, signal);
          exporters.set(key, exp);
          // Built right after the logs exporters: every exporter starts before any processor.
          this.ordered.push({ id: key, kind: 'exporter', component: exp });
        }
        return exp;
      });
      let next: SignalConsumer = new SignalFanOut(targets);
      for (const id of [...p.processors].reverse()) {
        const cc = c.processors.get(id)!;
        const proc = (cc.factory as ProcessorFactory).createSignal!(this.settings(id, 'processor'), cc.config, next, signal);
        this.ordered.push({ id: `${id} (pipeline ${p.id})`, kind: 'processor', component: proc });
        next = proc;
      }
      heads.set(p.id, next);
    }
    const forReceiver = (signal: BytesSignal) => (receiverId: string) => {
      const targets = c.service.pipelines.filter((p) => p.signal === signal && p.receivers.includes(receiverId)).map((p) => heads.get(p.id)!);
      return targets.length > 0 ? new SignalFanOut(targets) : undefined;
    };
    return { traces: forReceiver('traces'), metrics: forReceiver('metrics') };
  }
}

/** A pipeline head that drops the receiver's wire bytes before processors may change the records. */
function forgettingWireBytes(next: LogsConsumer): LogsConsumer {
  return {
    consume(logs, signal) {
      forgetWireBytes(logs);
      return next.consume(logs, signal);
    },
  };
}
