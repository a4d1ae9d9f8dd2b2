import { HttpError } from '../../net/http-error.js';
import type { ComponentView, ExporterInspection, PipelineView } from '../../pipeline/gateway-view.js';
import type { AdminContext } from './context.js';
import { metricSum } from './metric-values.js';

/**
 * The read side of the admin API: what `/status`, `/pipelines/{id}/stats` and
 * `/exporters/{id}/queue` answer, assembled from the gateway view and the telemetry counters.
 * Route handlers only map arguments onto these (docs/architecture.md §5). Nothing here reads a
 * component's config, so no answer can carry a configured secret; error texts are scrubbed.
 */

export class NotFoundError extends HttpError {
  constructor(what: string, id: string) {
    super(404, `no ${what} "${id}" in this gateway`);
  }
}

export function statusView(ctx: AdminContext) {
  const g = ctx.gateway;
  return {
    version: ctx.version,
    uptimeSeconds: Math.round((Date.now() - ctx.startedAtMs) / 1000),
    startedAt: new Date(ctx.startedAtMs).toISOString(),
    configHash: ctx.configHash,
    state: g.state(),
    pipelines: g.pipelines(),
    extensions: g.extensions(),
  };
}

function pipelineOf(ctx: AdminContext, id: string): PipelineView {
  const p = ctx.gateway.pipelines().find((x) => x.id === id);
  if (!p) throw new NotFoundError('pipeline', id);
  return p;
}

export async function pipelineStats(ctx: AdminContext, id: string) {
  const p = pipelineOf(ctx, id);
  const t = ctx.telemetry;
  const receivers = await Promise.all(
    p.receivers.map(async (r: ComponentView) => ({
      ...r,
      accepted: await metricSum(t.receiverAccepted, { receiver: r.id }),
      refused: await metricSum(t.receiverRefused, { receiver: r.id }),
    })),
  );
  const processors = await Promise.all(
    p.processors.map(async (r) => ({
      ...r,
      incoming: await metricSum(t.processorIncoming, { processor: r.id }),
      outgoing: await metricSum(t.processorOutgoing, { processor: r.id }),
    })),
  );
  const exporters = await Promise.all(
    p.exporters.map(async (e) => {
      const counts = await exporterCounts(ctx, e.id);
      return { ...e, ...counts, queueSize: ctx.gateway.exporter(e.id)?.queue?.size() ?? 0 };
    }),
  );
  return {
    pipeline: p.id,
    accepted: receivers.reduce((n, r) => n + r.accepted, 0),
    refused: receivers.reduce((n, r) => n + r.refused, 0),
    receivers,
    processors,
    exporters,
  };
}

async function exporterCounts(ctx: AdminContext, id: string) {
  const t = ctx.telemetry;
  const labels = { exporter: id };
  return {
    accepted: await metricSum(t.exporterAccepted, labels),
    refused: await metricSum(t.exporterEnqueueFailed, labels),
    sent: await metricSum(t.exporterSent, labels),
    failed: await metricSum(t.exporterSendFailed, labels),
  };
}

/** The exporter's inspection, or 404 for an id no pipeline uses. */
export function inspectExporter(ctx: AdminContext, id: string): ExporterInspection {
  const inspection = ctx.gateway.exporter(id);
  if (!inspection) throw new NotFoundError('exporter', id);
  return inspection;
}

export async function exporterQueueView(ctx: AdminContext, id: string) {
  const x = inspectExporter(ctx, id);
  const q = x.queue;
  const oldest = q?.oldestEnqueuedAtMs();
  const d = x.delivery;
  return {
    exporter: id,
    ...(await exporterCounts(ctx, id)),
    queue: {
      enabled: q !== undefined,
      persistent: x.persistent,
      size: q?.size() ?? 0,
      capacity: q?.capacity ?? 0,
      oldestQueuedAgeSeconds: oldest === undefined ? null : Math.max(0, (Date.now() - oldest) / 1000),
      deadLetters: q?.deadLetterSize() ?? 0,
    },
    retry: {
      failing: d.failingSinceMs !== undefined,
      failingSince: d.failingSinceMs === undefined ? null : new Date(d.failingSinceMs).toISOString(),
      failedAttempts: d.failedAttempts,
    },
    lastError: d.lastError === undefined ? null : { message: d.lastError, at: new Date(d.lastErrorAtMs ?? 0).toISOString() },
  };
}
