import type { Signal } from '../../pdata/signal.js';
import { LOGS_EXPORT_PATH } from './logs-service.js';

/**
 * The OTLP export methods' gRPC paths (proto/opentelemetry/proto/collector/*). Every one takes its
 * Export*ServiceRequest and answers an Export*ServiceResponse whose only field, partial_success
 * (1), holds the rejected count (1) and a message (2): one wire layout for all three, so the
 * receiver and the exporters share one response codec (pdata/proto.ts).
 */
export const TRACES_EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
export const METRICS_EXPORT_PATH = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';

export const EXPORT_PATHS: Record<Signal, string> = { logs: LOGS_EXPORT_PATH, traces: TRACES_EXPORT_PATH, metrics: METRICS_EXPORT_PATH };
