import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { BatchLogRecordProcessor, SimpleLogRecordProcessor, type LogRecordProcessor } from '@opentelemetry/sdk-logs';
import { readConfigFiles } from './config/load.js';
import { metricsListenAddress, type TelemetryConfig } from './config/service.js';
import { validateConfig, type GatewayConfig } from './config/validate.js';
import { Service } from './pipeline/service.js';
import { defaultRegistry } from './registry.js';
import { GatewayLogging } from './telemetry/logger.js';
import { MetricsServer } from './telemetry/metrics-server.js';
import { MetricsPusher } from './telemetry/metrics-push.js';
import { readFileSync } from 'node:fs';
import { Telemetry } from './telemetry/telemetry.js';

/** Config files → validated config. Throws GatewayError/ConfigError with every problem listed. */
export function loadConfig(sources: string[], env: NodeJS.ProcessEnv = process.env, sets: string[] = []): GatewayConfig {
  const warnings: string[] = [];
  const raw = readConfigFiles(sources, env, sets, warnings);
  return validateConfig(raw, defaultRegistry, warnings);
}

export interface GatewayOptions {
  /** false: no stderr logs (tests). */
  stderrLogs?: boolean;
  /** false: no /metrics listener. */
  metricsServer?: boolean;
}

/** One running gateway: telemetry, its own logs, the metrics endpoint and the pipeline service. */
export class Gateway {
  readonly telemetry = new Telemetry();
  readonly logging: GatewayLogging;
  readonly service: Service;
  private metrics?: MetricsServer;
  private pushers: MetricsPusher[] = [];

  constructor(
    readonly config: GatewayConfig,
    private readonly options: GatewayOptions = {},
  ) {
    const t = config.service.telemetry;
    this.logging = new GatewayLogging({
      level: t.logs.level,
      stderr: options.stderrLogs,
      processors: logProcessors(t),
      encoding: t.logs.encoding === 'json' ? 'json' : 'console',
      initialFields: t.logs.initial_fields,
    });
    this.service = new Service(config, this.telemetry, this.logging.logger);
  }

  get logger() {
    return this.logging.logger;
  }

  get metricsPort(): number | undefined {
    return this.metrics?.port;
  }

  async start(): Promise<void> {
    for (const warning of this.config.warnings) this.logger.warn(`configuration: ${warning}`);
    const addr = this.options.metricsServer === false ? undefined : metricsListenAddress(this.config.service.telemetry);
    if (addr) {
      this.metrics = new MetricsServer(this.telemetry, addr.host, addr.port, this.logger);
      try {
        await this.metrics.start();
      } catch (err) {
        // COMPONENT_START_FAILED from the server kit, naming service.telemetry.metrics and the address.
        this.metrics = undefined;
        throw err;
      }
    }
    try {
      await this.service.start();
    } catch (err) {
      await this.metrics?.shutdown();
      throw err;
    }
    this.pushers = metricsPushers(this.config.service.telemetry).map((o) => new MetricsPusher(this.telemetry.registry, o, this.logger));
    for (const p of this.pushers) p.start();
  }

  async shutdown(): Promise<void> {
    await this.service.shutdown();
    await Promise.all(this.pushers.map((p) => p.shutdown()));
    await this.metrics?.shutdown();
    await this.logging.shutdown();
  }
}

function logProcessors(t: TelemetryConfig): LogRecordProcessor[] {
  return (t.logs.processors ?? []).map((p) => {
    const spec = 'batch' in p ? p.batch : p.simple;
    const h = spec.exporter.otlp.headers;
    const headers = Array.isArray(h) ? Object.fromEntries(h.map((x) => [x.name, x.value])) : h;
    const exporter = new OTLPLogExporter({ url: spec.exporter.otlp.endpoint, headers });
    return 'batch' in p ? new BatchLogRecordProcessor({ exporter }) : new SimpleLogRecordProcessor({ exporter });
  });
}

/** The push readers of service.telemetry.metrics.readers (metrics level `none` turns them off too). */
function metricsPushers(t: TelemetryConfig) {
  if (t.metrics.level === 'none') return [];
  const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return (t.metrics.readers ?? []).flatMap((r) => {
    if (!('periodic' in r)) return [];
    const { interval, timeout, exporter } = r.periodic;
    const h = exporter.otlp.headers;
    const headers = Array.isArray(h) ? Object.fromEntries(h.map((x) => [x.name, x.value])) : (h ?? {});
    return [{ endpoint: exporter.otlp.endpoint, headers, intervalMs: interval, timeoutMs: timeout ?? Math.min(interval, 30_000), version }];
  });
}
