import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The built CLI (npm test builds before vitest runs). */
export const CLI = resolve(import.meta.dirname, '../../dist/cli.js');

export interface GatewayProcess {
  child: ChildProcess;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  stdout(): string;
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
  /** SIGTERM and wait for exit. */
  stop(): Promise<number | string>;
  /** SIGKILL and wait for exit. */
  kill9(): Promise<number | string>;
}

const tempDirs: string[] = [];
process.on('exit', () => {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

/** Writes `yaml` to a temp dir (removed when the test process exits) and returns its path. */
export function writeConfig(yaml: string, dir = tempDir()): string {
  const p = join(dir, 'config.yaml');
  writeFileSync(p, yaml);
  return p;
}

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'mog-'));
  tempDirs.push(d);
  return d;
}

/** Runs `node dist/cli.js ...args` to completion. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const code = await new Promise<number>((res) => child.on('close', (c) => res(c ?? -1)));
  return { code, stdout, stderr };
}

/**
 * Starts the gateway on a config file and waits until it logs that every pipeline is ready (or
 * exits, which rejects with its output).
 */
export async function startGateway(configPath: string | string[], env: NodeJS.ProcessEnv = {}, readyTimeoutMs = 30_000): Promise<GatewayProcess> {
  const paths = Array.isArray(configPath) ? configPath : [configPath];
  const child = spawn(process.execPath, [CLI, ...paths.flatMap((p) => ['--config', p])], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stdout!.on('data', (d) => (stdout += d));
  const exited = new Promise<number | string>((res) => child.on('exit', (code, sig) => res(code ?? sig ?? -1)));
  await new Promise<void>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`gateway not ready after ${readyTimeoutMs} ms:\n${stderr}`)), readyTimeoutMs);
    child.stderr!.on('data', (d) => {
      stderr += d;
      if (stderr.includes('everything is ready')) {
        clearTimeout(timer);
        res();
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      rej(new Error(`gateway exited (${code}) before it was ready:\n${stderr}`));
    });
  });
  const signal = (sig: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    return exited;
  };
  return {
    child,
    stderr: () => stderr,
    stdout: () => stdout,
    exited,
    stop: () => signal('SIGTERM'),
    kill9: () => signal('SIGKILL'),
  };
}
