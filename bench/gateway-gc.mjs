// How often V8 collects in a running target under the benchmark's open-loop load, with the ack
// latency it gives. Full (mark-compact) GCs were what set the ack p99 (BENCHMARKS.md, session 7):
// request bodies that only a full GC could free. Each candidate change can be checked in a minute:
//   npm run build && node bench/gateway-gc.mjs [--variants passthrough,noqueue,memory,persistent]
//     [--transports http,grpc,grpc-h2] [--rate 2600] [--seconds 15] [--rounds 1] [--gateway-node-args=...]
//     [--gateway-dir DIR] [--slices N]
// `--transports` sends the load over OTLP/HTTP (loadgen.mjs), OTLP/gRPC (`grpc`: grpc-loadgen.mjs, a
// @grpc/grpc-js client; `grpc-h2`: grpc-h2-loadgen.mjs, bare node:http2 like loadgen's bare
// node:http) or each in turn, so both are compared in one run (the pass-through
// serves both, so the clients' own difference shows in its two rows). `--gateway-dir` runs another build's dist/cli.js (e.g. a `git archive` of
// an older commit, built), for before/after tables.
// Variants: the pass-through (bench/passthrough.mjs), and the gateway with no sending queue, the
// in-memory queue or the persistent one (the bench's config: bench/gateway-config.mjs). Each
// target runs alone with the sink, 3 s of warm-up, then the measured load; V8's --trace-gc lines
// of the measured part are counted.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gatewayConfig } from './gateway-config.mjs';
import { runGrpcH2Load } from './grpc-h2-loadgen.mjs';
import { runGrpcLoad } from './grpc-loadgen.mjs';
import { runLoad } from './loadgen.mjs';
import { makeBody } from './payload.mjs';

const { values } = parseArgs({
  options: {
    variants: { type: 'string', default: 'passthrough,noqueue,memory,persistent' },
    transports: { type: 'string', default: 'http' },
    'gateway-dir': { type: 'string', default: '' },
    rate: { type: 'string', default: '2600' },
    seconds: { type: 'string', default: '15' },
    rounds: { type: 'string', default: '1' },
    // Transports taking turns against one target per variant (see interleaved()).
    slices: { type: 'string', default: '' },
    records: { type: 'string', default: '100' },
    // e.g. --gateway-node-args=--heap-growing-percent=0 (V8's own adaptive heap growth)
    'gateway-node-args': { type: 'string', default: '' },
  },
});
const root = resolve(import.meta.dirname, '..');
const gatewayCli = join(values['gateway-dir'] ? resolve(values['gateway-dir']) : root, 'dist/cli.js');
const recordsPerRequest = Number(values.records);
const body = await makeBody(recordsPerRequest);
const WARMUP_MS = 3_000;

function startNode(args, stdout = 'pipe') {
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['pipe', stdout, 'inherit'] });
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  return { child, output: () => out };
}

async function ready(port, child) {
  for (let i = 0; i < 400; i++) {
    if (child.exitCode !== null) throw new Error(`target exited with ${child.exitCode}`);
    try {
      const r = await fetch(`http://127.0.0.1:${port}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: new Uint8Array() });
      if (r.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('target did not start');
}

/** A port nothing listens on now (random ones collided with other processes on a shared machine). */
function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer().once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

/** The target's CPU time so far (user + system), in ms, from /proc (Linux). */
function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return NaN;
  }
}

const LOADS = { http: runLoad, grpc: runGrpcLoad, 'grpc-h2': runGrpcH2Load };

/** Starts the sink and the target (serving OTLP/gRPC too when `withGrpc`); `stop()` ends both. */
async function startTarget(variant, withGrpc) {
  const sink = startNode(['bench/sink.mjs', '0']);
  const sinkPort = await new Promise((res) => sink.child.stdout.on('data', () => /ready (\d+)/.test(sink.output()) && res(Number(/ready (\d+)/.exec(sink.output())[1]))));
  const port = await freePort();
  const grpcPort = withGrpc ? await freePort() : undefined;
  const dir = mkdtempSync(join(tmpdir(), `gateway-gc-${variant}-`));
  let args;
  if (variant === 'passthrough') args = ['bench/passthrough.mjs', String(port), String(sinkPort), ...(grpcPort ? [String(grpcPort)] : [])];
  else {
    const storageDir = variant === 'persistent' ? join(dir, 'storage') : undefined;
    writeFileSync(join(dir, 'config.yaml'), gatewayConfig({ port, grpcPort, sinkPort, storageDir, queue: variant !== 'noqueue' }));
    args = [...values['gateway-node-args'].split(' ').filter(Boolean), gatewayCli, '--config', join(dir, 'config.yaml')];
  }
  const target = startNode(['--trace-gc', ...args]);
  const stop = async () => {
    // Let the last batch reach the sink first (the in-memory queue warns about what it loses).
    await new Promise((r) => setTimeout(r, 1_000));
    target.child.kill('SIGTERM');
    sink.child.kill('SIGTERM');
    await new Promise((r) => (target.child.exitCode !== null ? r() : target.child.once('exit', r)));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await ready(port, target.child);
  } catch (e) {
    await stop();
    throw e;
  }
  return { target, port, grpcPort, stop };
}

/** One measured load of `transport` against a started target: latency, GCs and CPU of that span. */
async function slice(started, transport, durationMs) {
  const run = LOADS[transport];
  if (!run) throw new Error(`unknown transport ${transport} (http, grpc, grpc-h2)`);
  const load = { port: transport === 'http' ? started.port : started.grpcPort, body, recordsPerRequest, concurrency: 64, ratePerSec: Number(values.rate) };
  const { target } = started;
  const from = target.output().length;
  const cpuFrom = cpuMs(target.child.pid);
  const result = await run({ ...load, durationMs });
  const cpu = cpuMs(target.child.pid) - cpuFrom;
  const trace = target.output().slice(from);
  const pauses = (kind) => [...trace.matchAll(new RegExp(`${kind} [^,]*, ([0-9.]+) / [0-9.]+ ms`, 'g'))].map((m) => Number(m[1]));
  const full = pauses('Mark-Compact');
  const young = pauses('Scavenge');
  const sum = (xs) => xs.reduce((a, b) => a + b, 0);
  return {
    statuses: result.statuses,
    details: result.details,
    acked: result.ackedRequests,
    cpuMsPerKiloRequest: (cpu / Math.max(1, result.ackedRequests)) * 1000,
    p50: result.p50,
    p99: result.p99,
    fullGcs: full.length,
    fullPauseMs: sum(full),
    scavenges: young.length,
    scavengePauseMs: sum(young),
  };
}

async function measure(variant, transport) {
  const started = await startTarget(variant, transport.startsWith('grpc'));
  try {
    await slice(started, transport, WARMUP_MS);
    const m = await slice(started, transport, Number(values.seconds) * 1000);
    return { ...m, variant: values.transports === 'http' ? variant : `${variant}/${transport}` };
  } finally {
    await started.stop();
  }
}

function printRow(m) {
  const refused = Object.entries(m.statuses).filter(([s]) => s !== '200' && s !== 'OK');
  console.log(
    `${m.variant.padEnd(17)} ${String(m.acked).padStart(6)} ${m.p50.toFixed(1).padStart(8)} ${m.p99.toFixed(1).padStart(7)}  ${String(m.fullGcs).padStart(8)} (${m.fullPauseMs.toFixed(0).padStart(4)})     ${String(m.scavenges).padStart(9)} (${m.scavengePauseMs.toFixed(0).padStart(4)})  ${m.cpuMsPerKiloRequest.toFixed(0).padStart(8)}${refused.length ? `  not acked: ${JSON.stringify(Object.fromEntries(refused))}${m.details ? ` ${JSON.stringify(m.details)}` : ''}` : ''}`,
  );
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * `--slices N`: one target per variant serving every transport, the transports' loads taking turns
 * in N slices each. On a shared machine whose load drifts by the minute, turns a few seconds apart
 * see the same weather, so the medians of the slices compare the transports, not the minutes.
 */
async function interleaved(variant, transports, slices) {
  const started = await startTarget(variant, transports.some((t) => t.startsWith('grpc')));
  const rows = Object.fromEntries(transports.map((t) => [t, []]));
  try {
    for (const t of transports) await slice(started, t, WARMUP_MS);
    for (let i = 0; i < slices; i++) {
      for (const t of i % 2 ? [...transports].reverse() : transports) {
        const m = { ...(await slice(started, t, Number(values.seconds) * 1000)), variant: `${variant}/${t}#${i + 1}` };
        rows[t].push(m);
        printRow(m);
      }
    }
  } finally {
    await started.stop();
  }
  for (const t of transports) {
    const ms = rows[t];
    console.log(`${variant}/${t} median of ${slices}: p99 ${median(ms.map((m) => m.p99)).toFixed(1)} ms, full GCs ${median(ms.map((m) => m.fullGcs))}, CPU ${median(ms.map((m) => m.cpuMsPerKiloRequest)).toFixed(0)} ms/1k requests`);
  }
  const [base, ...others] = transports;
  for (const t of others) {
    const ratios = rows[t].map((m, i) => m.p99 / rows[base][i].p99);
    console.log(`${variant}: p99 ${t} / ${base} per slice ${ratios.map((r) => r.toFixed(2)).join(', ')}; median ${median(ratios).toFixed(2)}`);
  }
}

console.log(`node ${process.version}, ${values.rate} requests/s of ${recordsPerRequest} records for ${values.seconds} s per target, gateway ${gatewayCli}`);
console.log('variant           acked   p50 ms  p99 ms  full GCs (pause ms)  scavenges (pause ms)  target CPU ms / 1k requests');
if (values.slices) {
  for (const variant of values.variants.split(',')) await interleaved(variant, values.transports.split(','), Number(values.slices));
} else {
  for (let r = 0; r < Number(values.rounds); r++) {
    for (const variant of values.variants.split(',')) for (const transport of values.transports.split(',')) printRow(await measure(variant, transport));
  }
}
