import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startGateway, type GatewayProcess } from '../helpers/gateway-process.js';
import { freePort } from '../helpers/ports.js';

/**
 * Issue 19, acceptance 1, last part: an SDK client sends traces, metrics and logs through a real
 * config that has all three pipelines — the one opentelemetry.io gives every language's
 * "Exporters" page (test/fixtures/collector-configs/otelio-exporters-debug-all-signals.yaml, run as
 * written but for its listen addresses), with the official OTel JS SDK: spans over OTLP/HTTP
 * protobuf, metrics over OTLP/gRPC, logs over OTLP/HTTP JSON. Its debug exporter (verbosity
 * detailed) prints each signal: everything the SDK sent shows there.
 */
const FIXTURE = resolve(import.meta.dirname, '../fixtures/collector-configs/otelio-exporters-debug-all-signals.yaml');

let gateway: GatewayProcess | undefined;
afterAll(async () => {
  await gateway?.stop();
});

describe('an SDK client through a real config with traces, metrics and logs pipelines', () => {
  it('delivers the spans, data points and log records the official JS SDK sends', async () => {
    const [grpcPort, httpPort] = [await freePort(), await freePort()];
    gateway = await startGateway([FIXTURE, 'yaml:service::telemetry::metrics::address: 127.0.0.1:0'], {
      OTLP_GRPC_ENDPOINT: `127.0.0.1:${grpcPort}`,
      OTLP_HTTP_ENDPOINT: `127.0.0.1:${httpPort}`,
    });
    const resource = resourceFromAttributes({ 'service.name': 'all-signals-client' });

    const tracer = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `http://127.0.0.1:${httpPort}/v1/traces` }))] });
    const span = tracer.getTracer('client').startSpan('all-signals-span');
    span.setAttribute('order.id', 'o-123');
    span.end();

    const meters = new MeterProvider({ resource, readers: [new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter({ url: `http://127.0.0.1:${grpcPort}` }), exportIntervalMillis: 60_000 })] });
    meters.getMeter('client').createCounter('all_signals_orders').add(3, { region: 'eu' });

    const loggers = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `http://127.0.0.1:${httpPort}/v1/logs` }) })] });
    loggers.getLogger('client').emit({ body: 'all-signals-log-line', attributes: { 'order.id': 'o-123' } });

    // forceFlush resolves once each exporter has its answer: the gateway acknowledged all three.
    await Promise.all([tracer.forceFlush(), meters.forceFlush(), loggers.forceFlush()]);
    await Promise.all([tracer.shutdown(), meters.shutdown(), loggers.shutdown()]);

    // The debug exporter writes to stderr, as the Collector's does (its internal logger).
    const out = () => gateway!.stdout() + gateway!.stderr();
    await expect.poll(() => out().includes('all-signals-span') && out().includes('all_signals_orders') && out().includes('all-signals-log-line'), { timeout: 15_000 }).toBe(true);
    expect(out()).toMatch(/Traces\t\{"otelcol\.component\.id": "debug", "resource spans": 1, "spans": 1\}/);
    expect(out()).toMatch(/Metrics\t\{"otelcol\.component\.id": "debug", "resource metrics": 1, "metrics": 1, "data points": 1\}/);
    expect(out()).toContain('o-123');
    expect(out()).toContain('all-signals-client');
  });
});
