import { stringify } from 'yaml';
import { readConfigFiles } from './config/load.js';
import { loadConfig } from './gateway.js';
import { redact } from './telemetry/secrets.js';

/**
 * `make-otel-gateway print-config`, after the Collector's `otelcol print-config`: the configuration
 * as the gateway resolves it (every --config source merged in order, --set applied, ${env:…} and
 * ${file:…} expanded), checked as `validate` checks it, printed as YAML or JSON. In the default
 * `redacted` mode every secret prints as `[REDACTED]` — whatever its key, since parsing the
 * config registers each value a schema marks secret (and the forms it travels in); `unredacted`
 * is for a terminal the operator trusts.
 */
export type PrintMode = 'redacted' | 'unredacted';
export type PrintFormat = 'yaml' | 'json';

export function printConfig(sources: string[], sets: string[], mode: PrintMode, format: PrintFormat, env: NodeJS.ProcessEnv = process.env): string {
  // Parse first: it rejects an invalid config and registers every secret for redaction.
  loadConfig(sources, env, sets);
  const resolved = readConfigFiles(sources, env, sets);
  const shown = mode === 'redacted' ? redactValues(resolved) : resolved;
  return format === 'json' ? `${JSON.stringify(shown, null, 2)}\n` : stringify(shown, { lineWidth: 0 });
}

function redactValues(value: unknown): unknown {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map(redactValues);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactValues(v)]));
  return value;
}
