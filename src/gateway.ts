import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { BatchLogRecordProcessor, SimpleLogRecordProcessor, type LogRecordProcessor } from '@opentelemetry/sdk-logs';
import { readConfigFiles } from './config/load.js';
import { metricsListenAddress, type TelemetryConfig } from './config/service.js';
import { validateConfig, type GatewayConfig } from './config/validate.js';
import { Service } from './pipeline/service.js';
import { defaultRegistry } from './registry.js';
import { GatewayLogging } from './telemetry/logger.js';
import { MetricsServer } from './telemetry/metrics-server.js';
import { Telemetry } from './telemetry/telemetry.js';

/** Config files → validated config. Throws GatewayError/ConfigError with every problem listed. */
export function loadConfig(paths: string[], env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  return validateConfig(readConfigFiles(paths, env), defaultRegistry);
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

  constructor(
    readonly config: GatewayConfig,
    private readonly options: GatewayOptions = {},
  ) {
    const t = config.service.telemetry;
    this.logging = new GatewayLogging({ level: t.logs.level, stderr: options.stderrLogs, processors: logProcessors(t) });
    this.service = new Service(config, this.telemetry, this.logging.logger);
  }

  get logger() {
    return this.logging.logger;
  }

  get metricsPort(): number | undefined {
    return this.metrics?.port;
  }

  async start(): Promise<void> {
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
  }

  async shutdown(): Promise<void> {
    await this.service.shutdown();
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
