import { SeverityNumber, type Logger as OtelLogger } from '@opentelemetry/api-logs';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import {
  LoggerProvider,
  SimpleLogRecordProcessor,
  type LogRecordExporter,
  type LogRecordProcessor,
  type ReadableLogRecord,
} from '@opentelemetry/sdk-logs';
import { redact } from './secrets.js';

/**
 * The gateway's own logs, emitted through the OpenTelemetry JS SDK (docs/architecture.md §9): to stderr
 * by default, and optionally over OTLP (service.telemetry.logs.processors in config).
 */
export type Level = 'debug' | 'info' | 'warn' | 'error';
export type LogAttrs = Record<string, string | number | boolean | undefined>;

export interface Logger {
  debug(msg: string, attrs?: LogAttrs): void;
  info(msg: string, attrs?: LogAttrs): void;
  warn(msg: string, attrs?: LogAttrs): void;
  error(msg: string, attrs?: LogAttrs): void;
  /** A logger whose records carry these attributes too (e.g. `{ component: 'otlp' }`). */
  child(attrs: LogAttrs): Logger;
}

const LEVEL_NUMBER: Record<Level, number> = {
  debug: SeverityNumber.DEBUG,
  info: SeverityNumber.INFO,
  warn: SeverityNumber.WARN,
  error: SeverityNumber.ERROR,
};

/**
 * Writes one line per record to stderr. `console` (default): `2026-01-01T00:00:00.000Z info message
 * key=value`; `json` (service.telemetry.logs.encoding, as the Collector's zap encoder):
 * `{"level":"info","ts":"2026-01-01T00:00:00.000Z","msg":"message","key":"value"}`.
 */
export class StderrLogExporter implements LogRecordExporter {
  constructor(private readonly encoding: 'console' | 'json' = 'console') {}

  export(records: ReadableLogRecord[], done: (result: ExportResult) => void): void {
    for (const r of records) {
      const ts = new Date(r.hrTime[0] * 1000 + r.hrTime[1] / 1e6).toISOString();
      const level = (r.severityText ?? '').toLowerCase();
      const present = Object.entries(r.attributes).filter(([, v]) => v !== undefined);
      let line: string;
      if (this.encoding === 'json') {
        line = JSON.stringify({ level, ts, msg: String(r.body), ...Object.fromEntries(present) });
      } else {
        const attrs = present.map(([k, v]) => `${k}=${typeof v === 'string' && /\s/.test(v) ? JSON.stringify(v) : String(v)}`).join(' ');
        line = `${ts} ${level} ${String(r.body)}${attrs ? ' ' + attrs : ''}`;
      }
      process.stderr.write(redact(line) + '\n');
    }
    done({ code: ExportResultCode.SUCCESS });
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

class SdkLogger implements Logger {
  constructor(
    private readonly otel: OtelLogger,
    private readonly minLevel: number,
    private readonly base: LogAttrs,
  ) {}
  debug(msg: string, attrs?: LogAttrs) { this.emit('debug', msg, attrs); }
  info(msg: string, attrs?: LogAttrs) { this.emit('info', msg, attrs); }
  warn(msg: string, attrs?: LogAttrs) { this.emit('warn', msg, attrs); }
  error(msg: string, attrs?: LogAttrs) { this.emit('error', msg, attrs); }
  child(attrs: LogAttrs): Logger {
    return new SdkLogger(this.otel, this.minLevel, { ...this.base, ...attrs });
  }
  private emit(level: Level, msg: string, attrs?: LogAttrs) {
    const n = LEVEL_NUMBER[level];
    if (n < this.minLevel) return;
    const merged: Record<string, string | number | boolean> = {};
    for (const [k, v] of Object.entries({ ...this.base, ...attrs })) if (v !== undefined) merged[k] = typeof v === 'string' ? redact(v) : v;
    this.otel.emit({ severityNumber: n, severityText: level.toUpperCase(), body: redact(msg), attributes: merged });
  }
}

export interface LoggingOptions {
  level?: Level;
  /** Extra SDK processors (e.g. a BatchLogRecordProcessor around an OTLP exporter). */
  processors?: LogRecordProcessor[];
  /** false: no stderr output (tests). */
  stderr?: boolean;
  /** Line format on stderr. */
  encoding?: 'console' | 'json';
  /** Attributes on every record (service.telemetry.logs.initial_fields). */
  initialFields?: LogAttrs;
}

export class GatewayLogging {
  readonly provider: LoggerProvider;
  readonly logger: Logger;

  constructor(options: LoggingOptions = {}) {
    const processors: LogRecordProcessor[] = [...(options.processors ?? [])];
    if (options.stderr !== false) processors.unshift(new SimpleLogRecordProcessor({ exporter: new StderrLogExporter(options.encoding) }));
    this.provider = new LoggerProvider({ processors });
    this.logger = new SdkLogger(this.provider.getLogger('make-otel-gateway'), LEVEL_NUMBER[options.level ?? 'info'], { ...options.initialFields });
  }

  async shutdown(): Promise<void> {
    await this.provider.shutdown();
  }
}

/** A logger that drops everything (unit tests of single components). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};
