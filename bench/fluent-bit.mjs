// Fluent Bit as the peer in bench/decode.mjs, on the same workload and the same sinks: its
// `opentelemetry` input (OTLP/HTTP protobuf) with filesystem buffering, and either its
// `opentelemetry` output to bench/sink.mjs or its `datadog` output (Host, Port, TLS off) to
// bench/datadog-sink.mjs. Used only when a `fluent-bit` binary is on PATH or named by FLUENT_BIT:
// it is not packaged for this machine's Debian, and building it is documented in BENCHMARKS.md,
// not automated.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The binary to run, or undefined when there is none. */
export function fluentBitBinary() {
  const candidate = process.env.FLUENT_BIT || 'fluent-bit';
  const probe = spawnSync(candidate, ['--version'], { encoding: 'utf8' });
  return probe.status === 0 ? candidate : undefined;
}

/** Classic-mode config: `output` is 'otlp' (to bench/sink.mjs) or 'datadog' (to bench/datadog-sink.mjs). */
export function fluentBitConfig({ port, sinkPort, storageDir, output, apiKey = 'bench-key' }) {
  const out =
    output === 'datadog'
      ? ['[OUTPUT]', '    Name    datadog', '    Match   *', '    Host    127.0.0.1', `    Port    ${sinkPort}`, '    TLS     off', `    apikey  ${apiKey}`]
      : ['[OUTPUT]', '    Name     opentelemetry', '    Match    *', '    Host     127.0.0.1', `    Port     ${sinkPort}`, '    Logs_uri /v1/logs', '    Tls      off'];
  return [
    '[SERVICE]',
    '    Flush         1',
    '    Log_Level     warn',
    `    storage.path  ${storageDir}`,
    '    storage.sync  full',
    '[INPUT]',
    '    Name          opentelemetry',
    '    Listen        127.0.0.1',
    `    Port          ${port}`,
    '    storage.type  filesystem',
    ...out,
    '',
  ].join('\n');
}

/** Starts Fluent Bit; the caller polls its port like any target. */
export function startFluentBit(binary, options) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-fluent-bit-'));
  const cfg = join(dir, 'fluent-bit.conf');
  writeFileSync(cfg, fluentBitConfig({ ...options, storageDir: join(dir, 'storage') }));
  const child = spawn(binary, ['-c', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return { child, dir, output: () => out };
}
