// What bench/small-requests.mjs and bench/linear-cost.mjs share: the sink process and its record
// count, free ports, starting the pass-through or a gateway on the shipped default config
// (default-config.mjs), CPU and RSS of a process from /proc, and percentiles.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { defaultGatewayConfig } from './default-config.mjs';

export const root = resolve(import.meta.dirname, '..');
const POLL_MS = 20;

export function spawnNode(args) {
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  if (process.env.BENCH_ECHO) {
    child.stdout.pipe(process.stderr);
    child.stderr.pipe(process.stderr);
  }
  return { child, output: () => out };
}

export async function until(fn, what, timeoutMs = 30_000) {
  const t0 = Date.now();
  for (;;) {
    if (await fn()) return true;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

export function freePort() {
  return new Promise((res, rej) => {
    const s = createNetServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/** utime + stime of a process in seconds (every thread: libuv pool, GC, SQLite). */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export function peakRssMb(pid) {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

export function percentile(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
}

/** The counting sink (sink.mjs) in its own process; `count()` asks it for the records received. */
export async function startSink() {
  const sink = spawnNode(['bench/sink.mjs', '0']);
  await until(() => /ready \d+/.test(sink.output()), 'sink');
  const port = Number(/ready (\d+)/.exec(sink.output())[1]);
  let line = Promise.resolve();
  const ask = () =>
    new Promise((res) => {
      let buf = '';
      const onData = (d) => {
        buf += d;
        const m = /count (\d+) (\d+) (\d+)\n/.exec(buf);
        if (!m) return;
        sink.child.stdout.off('data', onData);
        res({ records: Number(m[1]), requests: Number(m[2]), malformed: Number(m[3]) });
      };
      sink.child.stdout.on('data', onData);
      sink.child.stdin.write('count\n');
    });
  return {
    port,
    pid: sink.child.pid,
    count() {
      const p = line.then(ask);
      line = p.catch(() => {});
      return p;
    },
    stop: () => sink.child.stdin.write('exit\n'),
  };
}

/**
 * `passthrough` (bench/passthrough.mjs), `gateway` (dist/cli.js on the shipped config with the
 * persistent queue, `exporters` of them in fan-out) or `baseline` (the
 * same on BASELINE_CLI); resolves once it answers on /v1/logs.
 */
export async function startTarget(name, sinkPort, { exporters = 1, processors = process.env.BENCH_PROCESSORS !== 'none' } = {}) {
  const port = await freePort();
  let proc;
  let dir;
  if (name === 'passthrough') proc = spawnNode(['bench/passthrough.mjs', String(port), String(sinkPort)]);
  else {
    dir = mkdtempSync(join(tmpdir(), 'bench-small-'));
    const cfg = join(dir, 'config.yaml');
    writeFileSync(cfg, defaultGatewayConfig({ port, healthPort: await freePort(), sinkPort, storageDir: join(dir, 'storage'), exporters, processors }));
    // Variant `baseline`: the same config on another build named by BASELINE_CLI (e.g. main's
    // dist/cli.js), to compare before and after in one run.
    const cli = name === 'baseline' ? process.env.BASELINE_CLI : 'dist/cli.js';
    if (!cli) throw new Error('variant baseline needs BASELINE_CLI=<path to another build\'s dist/cli.js>');
    proc = spawnNode([...(process.env.GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean), cli, '--config', cfg]);
  }
  await until(async () => {
    if (proc.child.exitCode !== null) throw new Error(`${name} exited: ${proc.output()}`);
    try {
      const r = await fetch(`http://127.0.0.1:${port}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: new Uint8Array() });
      return r.status === 200;
    } catch {
      return false;
    }
  }, name);
  return {
    name,
    port,
    pid: proc.child.pid,
    output: proc.output,
    async stop() {
      proc.child.kill('SIGTERM');
      await new Promise((r) => (proc.child.exitCode !== null ? r() : proc.child.on('exit', r)));
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
