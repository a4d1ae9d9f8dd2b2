import type { KeyValue } from '../../pdata/model.js';
import { editSignalAttributes, type AttributeEditor } from '../../pdata/signal-attributes.js';
import type { BytesSignal, SignalRequest } from '../../pdata/signal.js';
import type { Component, CreateSettings, Host, SignalConsumer } from '../../pipeline/component.js';
import { compileActions, type CompiledAction } from '../helper/actions-config.js';
import { applyActions } from '../helper/apply-actions.js';
import type { AttributesConfig } from './config.js';
import { buildMetricMatcher, type MetricMatcher } from './metric-matcher.js';
import { buildSpanMatcher, type SpanMatcher } from './span-matcher.js';

/**
 * `attributes` in a traces pipeline (each span's attributes, for the spans include / exclude
 * select) or a metrics pipeline (each data point's attributes, for the metrics they select by
 * `metric_names` and `resources`), rewritten in the request's
 * protobuf bytes (src/pdata/signal-attributes.ts): only the spans and data points whose
 * attributes change are re-encoded.
 */
export class SignalAttributesProcessor implements Component, SignalConsumer {
  private readonly actions: CompiledAction[];
  private readonly include: SpanMatcher | undefined;
  private readonly exclude: SpanMatcher | undefined;
  private readonly includeMetric: MetricMatcher | undefined;
  private readonly excludeMetric: MetricMatcher | undefined;

  constructor(
    private readonly settings: CreateSettings,
    config: AttributesConfig,
    private readonly next: SignalConsumer,
    private readonly signal: BytesSignal,
  ) {
    this.actions = compileActions(config.actions).compiled;
    // validate refuses the match keys a signal cannot use (match-config.ts matchErrorsFor).
    this.include = signal === 'traces' && config.include ? buildSpanMatcher(config.include) : undefined;
    this.exclude = signal === 'traces' && config.exclude ? buildSpanMatcher(config.exclude) : undefined;
    this.includeMetric = signal === 'metrics' && config.include ? buildMetricMatcher(config.include) : undefined;
    this.excludeMetric = signal === 'metrics' && config.exclude ? buildMetricMatcher(config.exclude) : undefined;
  }

  async start(_host: Host): Promise<void> {}
  async shutdown(): Promise<void> {}

  async consume(request: SignalRequest, abort?: AbortSignal): Promise<void> {
    const id = { processor: this.settings.id };
    this.settings.telemetry.processorIncoming.inc(id, request.items);
    const apply = (attrs: KeyValue[]) => applyActions(this.actions, attrs, request.client);
    const editor: AttributeEditor =
      this.signal === 'traces'
        ? {
            span: (attrs, span) => {
              if (this.include && !this.include(attrs, span)) return;
              if (this.exclude && this.exclude(attrs, span)) return;
              apply(attrs);
            },
          }
        : {
            dataPoint: (attrs, point) => {
              if (this.includeMetric && !this.includeMetric(point)) return;
              if (this.excludeMetric && this.excludeMetric(point)) return;
              apply(attrs);
            },
          };
    const bytes = editSignalAttributes(request.signal, request.bytes, editor);
    this.settings.telemetry.processorOutgoing.inc(id, request.items);
    await this.next.consume(bytes === request.bytes ? request : { ...request, bytes }, abort);
  }
}
