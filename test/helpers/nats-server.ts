import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

/**
 * A real `nats-server` with JetStream for the nats exporter/receiver tests (never a fake: the
 * point is JetStream's own acks, dedup and redelivery). Found on PATH (or /usr/sbin, where the
 * Debian package puts it); when missing and running as root, installed from Debian
 * (`apt-get install -y nats-server`). `natsServerMissing` says why when neither works, for a
 * `describe.skipIf` that prints the reason.
 */

const CANDIDATES = ['nats-server', '/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'];

function findBinary(): string | undefined {
  for (const c of CANDIDATES) {
    const r = spawnSync(c, ['--version'], { stdio: 'ignore' });
    if (r.status === 0) return c;
  }
  return undefined;
}

function tryInstall(): string | undefined {
  if (process.getuid?.() !== 0) return 'nats-server is not on PATH and the tests are not running as root; install it: apt-get install -y nats-server';
  try {
    execFileSync('sh', ['-c', 'apt-get update -qq >/dev/null 2>&1; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nats-server >/dev/null 2>&1'], { stdio: 'ignore', timeout: 300_000 });
  } catch (err) {
    return `nats-server is missing and apt-get install -y nats-server failed: ${(err as Error).message}`;
  }
  return findBinary() ? undefined : 'apt-get install -y nats-server did not provide a nats-server binary';
}

let binary = findBinary();
/** Why the NATS tests cannot run here; undefined when nats-server is available. */
export const natsServerMissing: string | undefined = binary ? undefined : tryInstall();
binary ??= findBinary();
if (natsServerMissing) console.warn(`NATS tests skipped: ${natsServerMissing}`);

export interface NatsServer {
  url: string;
  port: number;
  /** The JetStream store directory (kept across restart()). */
  storeDir: string;
  /** Kill it (SIGKILL) and wait. */
  kill(): Promise<void>;
  /** Start it again on the same port and store. */
  restart(): Promise<void>;
  /** Stop it and remove its store. */
  stop(): Promise<void>;
}

export interface NatsServerOptions {
  /** Extra arguments (e.g. ['--auth', token]). */
  args?: string[];
  /** nats-server config file text (e.g. `max_payload: 4096`), passed with -c. */
  config?: string;
}

export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  if (!binary) throw new Error(`nats-server unavailable: ${natsServerMissing}`);
  const bin = binary;
  const port = await freePort();
  const storeDir = mkdtempSync(join(tmpdir(), 'nats-js-'));
  const configArgs: string[] = [];
  if (options.config !== undefined) {
    const confPath = join(storeDir, 'nats.conf');
    writeFileSync(confPath, options.config);
    configArgs.push('-c', confPath);
  }
  let child: ChildProcess | undefined;
  let log = '';
  const launch = async () => {
    log = '';
    const c = spawn(bin, ['-js', '-sd', storeDir, '-a', '127.0.0.1', '-p', String(port), ...configArgs, ...(options.args ?? [])], { stdio: ['ignore', 'pipe', 'pipe'] });
    c.stdout!.on('data', (d) => (log += d));
    c.stderr!.on('data', (d) => (log += d));
    child = c;
    await waitForPort(port, c, () => log);
  };
  const kill = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((res) => c.once('exit', () => res()));
    c.kill('SIGKILL');
    await exited;
  };
  await launch();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    kill,
    restart: launch,
    async stop() {
      await kill();
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}

async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`nats-server exited (${child.exitCode}):\n${log()}`);
    // The server logs this once JetStream is up and the client port is open.
    if (/Server is ready/.test(log())) {
      const ok = await new Promise<boolean>((res) => {
        const s = createConnection({ port, host: '127.0.0.1' }, () => {
          s.destroy();
          res(true);
        });
        s.once('error', () => res(false));
      });
      if (ok) return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nats-server not ready on port ${port} after 20 s:\n${log()}`);
}

