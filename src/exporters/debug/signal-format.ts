import { protoToJson } from '../../pdata/schema-codec.js';
import { REQUEST_DEF, type BytesSignal } from '../../pdata/signal.js';

/**
 * The debug exporter's text for traces and metrics, shaped as the Collector's: `basic` one summary
 * line (resource count and items), `normal` one line per span or metric, `detailed` the whole
 * request as indented OTLP/JSON.
 */

type Json = Record<string, unknown>;
const list = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);

export function formatSignal(id: string, signal: BytesSignal, bytes: Uint8Array, items: number, verbosity: 'basic' | 'normal' | 'detailed'): string {
  const request = protoToJson(REQUEST_DEF[signal], bytes);
  const resources = list(signal === 'traces' ? request.resourceSpans : request.resourceMetrics);
  const summary =
    signal === 'traces'
      ? `Traces\t{"otelcol.component.id": ${JSON.stringify(id)}, "resource spans": ${resources.length}, "spans": ${items}}`
      : `Metrics\t{"otelcol.component.id": ${JSON.stringify(id)}, "resource metrics": ${resources.length}, "metrics": ${countMetrics(resources)}, "data points": ${items}}`;
  let text = `${new Date().toISOString()}\tinfo\t${summary}\n`;
  if (verbosity === 'normal') text += normalLines(signal, resources).join('\n') + '\n';
  else if (verbosity === 'detailed') text += JSON.stringify(request, null, 2) + '\n';
  return text;
}

function countMetrics(resources: Json[]): number {
  return resources.reduce((n, rm) => n + list(rm.scopeMetrics).reduce((k, sm) => k + list(sm.metrics).length, 0), 0);
}

function normalLines(signal: BytesSignal, resources: Json[]): string[] {
  const lines: string[] = [];
  resources.forEach((r, i) => {
    lines.push(`${signal === 'traces' ? 'ResourceSpans' : 'ResourceMetrics'} #${i}`);
    for (const scope of list(signal === 'traces' ? r.scopeSpans : r.scopeMetrics)) {
      if (signal === 'traces') for (const span of list(scope.spans)) lines.push(`${String(span.name ?? '')} ${String(span.traceId ?? '')} ${String(span.spanId ?? '')}`);
      else for (const metric of list(scope.metrics)) lines.push(`${String(metric.name ?? '')} ${String(metric.unit ?? '')}`.trimEnd());
    }
  });
  return lines;
}
