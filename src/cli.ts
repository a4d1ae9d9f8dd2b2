#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, GatewayError } from './errors.js';
import { exportCommand } from './export/cli-command.js';
import { mcpCommand } from './mcp/command.js';
import { tailCommand } from './tail/tail-command.js';
import { Gateway, loadConfig } from './gateway.js';
import { tuneHeap } from './heap-tuning.js';
import { planBatchPlacement } from './pipeline/batch-placement.js';
import { KINDS } from './pipeline/registry.js';
import { queueCommand } from './queue-command.js';
import { printConfig } from './print-config-command.js';
import { defaultRegistry } from './registry.js';
import { redact } from './telemetry/secrets.js';

const USAGE = `make-otel-gateway — an OpenTelemetry logs gateway for Make.com and OTLP

Usage:
  make-otel-gateway [run] --config FILE [--config FILE ...]   run the gateway (files merge in order)
      --config also takes file:PATH, env:VAR (YAML in a variable), yaml:TEXT (inline, keys joined by ::)
      --set KEY=VALUE                                          override one key after every file (processors.batch.timeout=2s)
  make-otel-gateway validate --config FILE                     check a configuration and exit
  make-otel-gateway print-config --config FILE [--mode redacted|unredacted] [--format yaml|json]
                                                               the resolved configuration; secrets as [REDACTED]
  make-otel-gateway queue stats --config FILE                  show persistent queue sizes
  make-otel-gateway queue dead-letter list|replay --config FILE [--exporter ID]
  make-otel-gateway queue dead-letter purge --config FILE (--exporter ID | --all)
  make-otel-gateway export --config FILE --from T --to T ... (--out DIR | --exporter ID)
  make-otel-gateway export list|status ID|cancel ID|resume ID --config FILE
  make-otel-gateway mcp --config FILE                          serve the MCP tools (export_logs_for_analysis, ...) on stdio
  make-otel-gateway tail --config FILE [--where COND] [--pipeline ID] [--limit N]
                                                               live records of a running gateway as JSON lines
  make-otel-gateway components                                 list the component types this build ships
  make-otel-gateway --version | --help

Exit codes: 0 ok, 1 invalid configuration or start failure, 2 usage error.`;

/** After the grace period, how long shutdown may still take before the process exits anyway. */
const SHUTDOWN_BACKSTOP_MS = 4_000;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** A config that does not load is exit code 1 with its message; anything else is `fail`. */
function configFailure(err: unknown): number {
  if (err instanceof ConfigError) {
    process.stderr.write(redact(err.message) + '\n');
    return 1;
  }
  return fail(err);
}

function fail(err: unknown): number {
  const text = err instanceof Error ? err.message : String(err);
  const code = err instanceof GatewayError ? ` [${err.code}]` : '';
  process.stderr.write(redact(`error${code}: ${text}`) + '\n');
  return 1;
}

async function run(configPaths: string[], sets: string[]): Promise<number> {
  tuneHeap();
  let gateway: Gateway;
  try {
    gateway = new Gateway(loadConfig(configPaths, process.env, sets));
  } catch (err) {
    return fail(err);
  }
  // One listener for the whole run, in place before start: without one, a SIGTERM that arrives
  // just after "everything is ready" is logged kills the process undrained; and replacing a
  // listener can drop a signal already caught for the old one (libuv delivers it to that handle).
  let onStop: ((sig: NodeJS.Signals) => void) | undefined;
  let early: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals) => (onStop ? onStop(sig) : void (early ??= sig));
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    await gateway.start();
  } catch (err) {
    await gateway.shutdown().catch(() => undefined);
    return fail(err);
  }
  return new Promise<number>((resolve) => {
    let signals = 0;
    const stop = (sig: NodeJS.Signals) => {
      signals++;
      if (signals > 1) {
        gateway.logger.warn(`second ${sig}: exiting without waiting for the drain; queued data stays on disk`);
        resolve(1);
        return;
      }
      gateway.logger.info(`received ${sig}; stopping receivers and draining`);
      // The backstop of "SIGTERM exits within shutdown_grace_period + 5 s": at the grace period
      // every waiting request is cancelled and shutdown ends in moments; should something still
      // hang, exit anyway (queued data stays on disk).
      const graceMs = gateway.config.service.shutdown_grace_period;
      setTimeout(() => {
        gateway.logger.error('shutdown did not finish within service.shutdown_grace_period + 4s; exiting without waiting further; queued data stays on disk', { shutdown_grace_period_ms: graceMs });
        resolve(1);
      }, graceMs + SHUTDOWN_BACKSTOP_MS).unref();
      gateway.shutdown().then(
        () => resolve(0),
        (err) => resolve(fail(err)),
      );
    };
    onStop = stop;
    if (early) stop(early);
  });
}

function validate(configPaths: string[], sets: string[]): number {
  try {
    const config = loadConfig(configPaths, process.env, sets);
    for (const warning of [...config.warnings, ...planBatchPlacement(config).warnings]) process.stderr.write(redact(`warning: ${warning}`) + '\n');
    const lines = [`configuration is valid (${configPaths.join(', ')})`];
    for (const p of config.service.pipelines) {
      lines.push(`  pipeline ${p.id}: receivers [${p.receivers.join(', ')}] → processors [${p.processors.join(', ')}] → exporters [${p.exporters.join(', ')}]`);
    }
    if (config.service.extensions.length) lines.push(`  extensions: ${config.service.extensions.join(', ')}`);
    process.stdout.write(redact(lines.join('\n')) + '\n');
    return 0;
  } catch (err) {
    return configFailure(err);
  }
}

function printConfigCommand(configPaths: string[], sets: string[], mode: string, format: string): number {
  if (mode !== 'redacted' && mode !== 'unredacted') {
    process.stderr.write(`--mode must be redacted or unredacted, got ${JSON.stringify(mode)}\n`);
    return 2;
  }
  if (format !== 'yaml' && format !== 'json') {
    process.stderr.write(`--format must be yaml or json, got ${JSON.stringify(format)}\n`);
    return 2;
  }
  try {
    process.stdout.write(printConfig(configPaths, sets, mode, format));
    return 0;
  } catch (err) {
    return configFailure(err);
  }
}

export async function main(argv: string[]): Promise<number> {
  // These commands have flags of their own.
  if (argv[0] === 'export') return exportCommand(argv.slice(1));
  if (argv[0] === 'mcp') return mcpCommand(argv.slice(1));
  if (argv[0] === 'tail') return tailCommand(argv.slice(1));
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string', multiple: true, short: 'c' },
        set: { type: 'string', multiple: true },
        exporter: { type: 'string' },
        all: { type: 'boolean' },
        mode: { type: 'string' },
        format: { type: 'string' },
        version: { type: 'boolean', short: 'v' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (values.version) {
    process.stdout.write(`make-otel-gateway ${version()}\n`);
    return 0;
  }
  const configs = values.config ?? [];
  const [command = 'run', ...rest] = positionals;
  if (command === 'components') {
    const lines = KINDS.map((k) => `${k}s: ${defaultRegistry.types(k).join(', ')}`);
    process.stdout.write(lines.join('\n') + '\n');
    return 0;
  }
  if (!['run', 'validate', 'queue', 'print-config'].includes(command)) {
    process.stderr.write(`unknown command "${command}"\n\n${USAGE}\n`);
    return 2;
  }
  if (configs.length === 0) {
    process.stderr.write(`missing --config FILE\n\n${USAGE}\n`);
    return 2;
  }
  const sets = values.set ?? [];
  if (command === 'validate') return validate(configs, sets);
  if (command === 'print-config') return printConfigCommand(configs, sets, values.mode ?? 'redacted', values.format ?? 'yaml');
  if (command === 'queue') return queueCommand(rest, configs, values.exporter, values.all);
  return run(configs, sets);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => process.exit(fail(err)),
);
