import type { GatewayConfig } from '../config/validate.js';
import type { Component } from './component.js';
import type { TailHub } from '../tail/hub.js';
import { isInspectable, type ComponentState, type ComponentView, type ExporterInspection, type GatewayLifecycle, type GatewayView, type PipelineView } from './gateway-view.js';

/** A component as the service keeps it (service.ts): processors are named `ID (pipeline P)`. */
export interface TrackedComponent {
  readonly id: string;
  readonly kind: ComponentView['kind'];
  readonly component: Component;
  readonly state?: ComponentState;
}

/** The service's `GatewayView`: reads the service's own bookkeeping, never changes it. */
export class ServiceView implements GatewayView {
  constructor(
    readonly config: GatewayConfig,
    private readonly tracked: readonly TrackedComponent[],
    private readonly lifecycle: () => GatewayLifecycle,
    private readonly exporters: ReadonlyMap<string, Component>,
    readonly tail?: TailHub,
  ) {}

  component(kind: 'receiver' | 'exporter', id: string): Component | undefined {
    return this.tracked.find((c) => c.kind === kind && c.id === id)?.component;
  }

  state(): GatewayLifecycle {
    return this.lifecycle();
  }

  pipelines(): PipelineView[] {
    return this.config.service.pipelines.map((p) => ({
      id: p.id,
      receivers: p.receivers.map((id) => this.view('receiver', id)),
      processors: p.processors.map((id) => ({ ...this.view('processor', `${id} (pipeline ${p.id})`), id })),
      exporters: p.exporters.map((id) => this.view('exporter', id)),
    }));
  }

  extensions(): ComponentView[] {
    return this.config.service.extensions.map((id) => this.view('extension', id));
  }

  exporter(id: string): ExporterInspection | undefined {
    const exporter = this.exporters.get(id);
    return isInspectable(exporter) ? exporter.inspect() : undefined;
  }

  private view(kind: ComponentView['kind'], id: string): ComponentView {
    const t = this.tracked.find((c) => c.kind === kind && c.id === id);
    return { id, kind, state: t?.state ?? 'created' };
  }
}
