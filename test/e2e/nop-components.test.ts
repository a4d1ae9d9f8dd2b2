import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { afterAll, describe, expect, it } from 'vitest';
import { startGateway, writeConfig, type GatewayProcess } from '../helpers/gateway-process.js';
import { freePort } from '../helpers/ports.js';

/**
 * The Collector's `nop` receiver and exporter, which configs written for the Collector use as
 * placeholders (the file_storage README's example): the built gateway starts with them in every
 * signal, answers the official OTLP exporters 200, and counts what it accepted.
 */
let gateway: GatewayProcess | undefined;
afterAll(async () => {
  await gateway?.stop();
});

describe('nop receiver and exporter', () => {
  it('start in logs, traces and metrics pipelines, and the nop exporter accepts and discards what reaches it', async () => {
    const [port, metrics] = [await freePort(), await freePort()];
    gateway = await startGateway(
      writeConfig(`
receivers:
  nop:
  otlp: { protocols: { http: { endpoint: "127.0.0.1:${port}" } } }
exporters:
  nop:
service:
  telemetry: { metrics: { address: "127.0.0.1:${metrics}" } }
  pipelines:
    logs: { receivers: [otlp, nop], exporters: [nop] }
    traces: { receivers: [otlp, nop], exporters: [nop] }
    metrics: { receivers: [nop], exporters: [nop] }
`),
    );
    const { LoggerProvider, SimpleLogRecordProcessor } = await import('@opentelemetry/sdk-logs');
    const logs = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `http://127.0.0.1:${port}/v1/logs` }) })] });
    logs.getLogger('t').emit({ body: 'to nowhere' });
    await logs.forceFlush();
    await logs.shutdown();
    const { BasicTracerProvider, SimpleSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
    const traceExporter = new OTLPTraceExporter({ url: `http://127.0.0.1:${port}/v1/traces` });
    const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(traceExporter)] });
    tracer.getTracer('t').startSpan('to nowhere').end();
    await tracer.forceFlush();
    await tracer.shutdown();

    const text = await (await fetch(`http://127.0.0.1:${metrics}/metrics`)).text();
    expect(text).toMatch(/otelcol_receiver_accepted_log_records_total\{[^}]*receiver="otlp"[^}]*\} 1/);
    expect(text).toMatch(/otelcol_receiver_accepted_spans_total\{[^}]*receiver="otlp"[^}]*\} 1/);
    expect(gateway.stderr()).not.toMatch(/error/i);
  }, 60_000);
});
