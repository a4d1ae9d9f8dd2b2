// End-to-end benchmark (issue: at-least-once delivery). In one run, against the same sink:
//   passthrough  plain Node forwarder, no decoding (the ceiling for a JS gateway here)
//   memory       the gateway, otlp receiver → otlphttp exporter with the in-memory queue
//   persistent   the same with the SQLite queue in a file_storage directory, fsync on (default)
// For each: delivered records/s end to end (closed loop; records counted at the sink, the clock
// stops when the sink has every acknowledged record) and peak RSS; then ack latency p50/p99 at half
// the persistent path's maximum request rate (open loop).
// Usage: npm run bench -- [--seconds 10] [--records 100] [--concurrency 16]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runLoad } from './loadgen.mjs';
import { makeBody } from './payload.mjs';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    records: { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '16' },
    variants: { type: 'string', default: 'passthrough,memory,persistent' },
  },
});
const seconds = Number(values.seconds);
const recordsPerRequest = Number(values.records);
const concurrency = Number(values.concurrency);
const variants = values.variants.split(',');
const root = resolve(import.meta.dirname, '..');
const body = await makeBody(recordsPerRequest);

function spawnNode(args) {
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return { child, output: () => out };
}

async function until(fn, what, timeoutMs = 30_000) {
  const t0 = Date.now();
  for (;;) {
    if (await fn()) return;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function peakRssMb(pid) {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

// --- the sink ---------------------------------------------------------------------------------
const sink = spawnNode(['bench/sink.mjs', '0']);
await until(() => /ready \d+/.test(sink.output()), 'sink');
const sinkPort = Number(/ready (\d+)/.exec(sink.output())[1]);
function sinkAsk(cmd, pattern) {
  return new Promise((res) => {
    let buf = '';
    const onData = (d) => {
      buf += d;
      const m = pattern.exec(buf);
      if (m) {
        sink.child.stdout.off('data', onData);
        res(m);
      }
    };
    sink.child.stdout.on('data', onData);
    sink.child.stdin.write(cmd + '\n');
  });
}
const sinkCount = async () => Number((await sinkAsk('count', /count (\d+)/))[1]);

// --- targets ----------------------------------------------------------------------------------
let nextPort = 43000 + Math.floor(Math.random() * 2000);
function gatewayConfig(port, storageDir) {
  const persistent = storageDir !== undefined;
  return [
    'receivers:',
    '  otlp:',
    '    protocols:',
    '      http:',
    `        endpoint: 127.0.0.1:${port}`,
    'exporters:',
    '  otlphttp:',
    `    endpoint: http://127.0.0.1:${sinkPort}`,
    '    compression: none',
    '    sending_queue:',
    '      queue_size: 100000',
    '      num_consumers: 8',
    ...(persistent ? ['      storage: file_storage', 'extensions:', '  file_storage:', `    directory: ${storageDir}`] : []),
    'service:',
    ...(persistent ? ['  extensions: [file_storage]'] : []),
    '  pipelines:',
    '    logs:',
    '      receivers: [otlp]',
    '      exporters: [otlphttp]',
    '  telemetry:',
    '    metrics:',
    '      level: none',
    '',
  ].join('\n');
}

async function startTarget(name) {
  const port = nextPort++;
  let proc;
  if (name === 'passthrough') proc = spawnNode(['bench/passthrough.mjs', String(port), String(sinkPort)]);
  else {
    const dir = mkdtempSync(join(tmpdir(), `bench-${name}-`));
    const cfg = join(dir, 'config.yaml');
    writeFileSync(cfg, gatewayConfig(port, name === 'persistent' ? join(dir, 'storage') : undefined));
    proc = spawnNode(['dist/cli.js', '--config', cfg]);
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
  return { name, port, ...proc };
}

async function stopTarget(t) {
  t.child.kill('SIGTERM');
  await new Promise((r) => (t.child.exitCode !== null ? r() : t.child.on('exit', r)));
}

async function throughput(name) {
  const t = await startTarget(name);
  // Warm-up: JIT, connection pools, SQLite pages.
  await runLoad({ port: t.port, body, recordsPerRequest, concurrency, durationMs: 2_000 });
  await until(async () => true, 'noop');
  const before = await sinkCount();
  const t0 = performance.now();
  const load = await runLoad({ port: t.port, body, recordsPerRequest, concurrency, durationMs: seconds * 1000 });
  let delivered = 0;
  await until(async () => (delivered = (await sinkCount()) - before) >= load.ackedRecords, `${name} to deliver`, 180_000).catch(() => {});
  const elapsedS = (performance.now() - t0) / 1000;
  const rss = peakRssMb(t.child.pid);
  await stopTarget(t);
  return { name, acked: load.ackedRecords, delivered, recordsPerSec: delivered / elapsedS, ackP50: load.p50, ackP99: load.p99, peakRssMb: rss, statuses: load.statuses };
}

async function latency(name, ratePerSec) {
  const t = await startTarget(name);
  await runLoad({ port: t.port, body, recordsPerRequest, concurrency, durationMs: 2_000 });
  const load = await runLoad({ port: t.port, body, recordsPerRequest, ratePerSec, durationMs: seconds * 1000 });
  const rss = peakRssMb(t.child.pid);
  await stopTarget(t);
  return { name, ratePerSec, p50: load.p50, p99: load.p99, peakRssMb: rss, statuses: load.statuses };
}

const results = {};
for (const v of variants) {
  results[v] = await throughput(v);
  console.error(`${v}: ${Math.round(results[v].recordsPerSec)} records/s delivered`);
}
const lat = {};
if (results.persistent) {
  const rate = Math.max(1, Math.round(results.persistent.recordsPerSec / recordsPerRequest / 2));
  for (const v of variants.filter((x) => x !== 'passthrough')) lat[v] = await latency(v, rate);
}
sink.child.stdin.write('exit\n');

const f = (n, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
const base = results.passthrough?.recordsPerSec;
console.log(`\nnode ${process.version}, ${recordsPerRequest} records/request, ${body.length} bytes/request, concurrency ${concurrency}, ${seconds}s per run\n`);
console.log('| variant | delivered records/s | × pass-through | ack p50 ms (closed loop) | ack p99 ms (closed loop) | peak RSS MB |');
console.log('|---|---|---|---|---|---|');
for (const r of Object.values(results)) {
  console.log(`| ${r.name} | ${f(r.recordsPerSec)} | ${base ? f(r.recordsPerSec / base, 2) : 'n/a'} | ${f(r.ackP50, 1)} | ${f(r.ackP99, 1)} | ${f(r.peakRssMb)} |`);
}
if (Object.keys(lat).length) {
  const rate = Object.values(lat)[0].ratePerSec;
  console.log(`\nOpen loop at half the persistent maximum: ${rate} requests/s (${rate * recordsPerRequest} records/s)\n`);
  console.log('| variant | ack p50 ms | ack p99 ms | peak RSS MB | statuses |');
  console.log('|---|---|---|---|---|');
  for (const r of Object.values(lat)) console.log(`| ${r.name} | ${f(r.p50, 1)} | ${f(r.p99, 1)} | ${f(r.peakRssMb)} | ${JSON.stringify(r.statuses)} |`);
}
for (const r of Object.values(results)) if (r.delivered < r.acked) console.log(`\nWARNING: ${r.name} delivered ${r.delivered} of ${r.acked} acknowledged records within the wait`);
