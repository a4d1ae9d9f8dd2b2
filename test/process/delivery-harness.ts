import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { logsToJson } from '../../src/pdata/json.js';
import { newLogRecord, type Logs } from '../../src/pdata/model.js';

/**
 * Runs the built gateway (`dist/cli.js`) as a real process for the delivery tests: one OTLP/HTTP
 * receiver, one otlphttp exporter with a file_storage queue, in a temp directory.
 */

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

import { freePort } from '../helpers/ports.js';

export interface GatewaySetup {
  dir: string;
  storageDir: string;
  configPath: string;
  receiverPort: number;
  cleanup(): void;
}

export async function writeGatewayConfig(backendUrl: string, queue: { queue_size?: number; metricsPort?: number } = {}): Promise<GatewaySetup> {
  const dir = mkdtempSync(join(tmpdir(), 'gateway-process-'));
  const storageDir = join(dir, 'queue');
  const receiverPort = await freePort();
  const configPath = join(dir, 'config.yaml');
  writeFileSync(
    configPath,
    `receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${receiverPort}
exporters:
  otlphttp:
    endpoint: ${backendUrl}
    compression: none
    timeout: 2s
    sending_queue:
      storage: file_storage
      num_consumers: 2
      queue_size: ${queue.queue_size ?? 1000}
    retry_on_failure:
      initial_interval: 100ms
      max_interval: 200ms
      max_elapsed_time: 0
extensions:
  file_storage:
    directory: ${storageDir}
service:
  extensions: [file_storage]
  telemetry:
    metrics:
${queue.metricsPort ? `      address: 127.0.0.1:${queue.metricsPort}` : '      level: none'}
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [otlphttp]
`,
  );
  return { dir, storageDir, configPath, receiverPort, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export class GatewayProcess {
  readonly stderr: string[] = [];
  private exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(readonly child: ChildProcess) {
    child.stderr!.on('data', (c: Buffer) => this.stderr.push(c.toString()));
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Start and wait until the receiver accepts connections. */
  static async start(setup: GatewaySetup): Promise<GatewayProcess> {
    const gw = new GatewayProcess(spawn(process.execPath, [CLI, '--config', setup.configPath], { stdio: ['ignore', 'ignore', 'pipe'] }));
    for (let i = 0; i < 400; i++) {
      if (gw.child.exitCode !== null) throw new Error(`gateway exited at start: ${gw.stderr.join('')}`);
      if (await canConnect(setup.receiverPort)) return gw;
      await new Promise((r) => setTimeout(r, 50));
    }
    gw.child.kill('SIGKILL');
    throw new Error(`gateway did not listen on ${setup.receiverPort}: ${gw.stderr.join('')}`);
  }

  kill(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.child.kill(signal);
    return this.exited;
  }

  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.exited;
    return this.kill('SIGTERM');
  }
}

function canConnect(port: number): Promise<boolean> {
  return fetch(`http://127.0.0.1:${port}/`, { method: 'GET' }).then(
    () => true,
    () => false,
  );
}

/** One OTLP/JSON request with `count` records whose bodies are `seq-<n>`. */
export function numbered(from: number, count: number): Logs {
  return {
    resourceLogs: [
      {
        schemaUrl: '',
        resource: { attributes: [], droppedAttributesCount: 0 },
        scopeLogs: [{ schemaUrl: '', logRecords: Array.from({ length: count }, (_, i) => newLogRecord({ body: { stringValue: `seq-${from + i}` } })) }],
      },
    ],
  };
}

export async function postLogs(port: number, logs: Logs): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: logsToJson(logs) });
}

/** Run `make-otel-gateway queue ...`; returns exit code and stdout lines. */
export function queueCli(setup: GatewaySetup, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'queue', ...args, '--config', setup.configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
