// Live tail under load (issue 21, acceptance 3). One gateway (otlp receiver → otlphttp exporter to
// bench/sink.mjs, in-memory queue, admin extension for the tail), an open-loop load of ~20k
// records/s, and slices that alternate "no subscribers" and "3 subscribers": two that read
// everything they get (SSE, with a `where` matching 1 record in 20) and one that stops reading (a
// paused socket) and must be cut off. Reports, per state, the records/s the sink received and the
// gateway's CPU ms per 1000 records, and their ratio (tail on / tail off) from the same run.
// A paused client is cut off once the kernel's socket buffers (a few MB on loopback) and its 1000
// record buffer are full: ~5-8 s at the default rate, so slices are 10 s. About 25 s in all.
// Usage: npm run build && node bench/tail.mjs [--slice 10] [--pairs 1] [--rate 200] [--records 100]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runLoad } from './loadgen.mjs';
import { makeBody } from './payload.mjs';

const { values } = parseArgs({
  options: {
    slice: { type: 'string', default: '10' },
    pairs: { type: 'string', default: '1' },
    rate: { type: 'string', default: '200' },
    records: { type: 'string', default: '100' },
  },
});
const sliceMs = Number(values.slice) * 1000;
const pairs = Number(values.pairs);
const ratePerSec = Number(values.rate);
const recordsPerRequest = Number(values.records);
const WHERE = 'attributes["make.scenario.id"] == 1005';
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
  while (!(await fn())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function freePort() {
  return new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

const sink = spawnNode(['bench/sink.mjs', '0']);
await until(() => /ready \d+/.test(sink.output()), 'sink');
const sinkPort = Number(/ready (\d+)/.exec(sink.output())[1]);
let sinkLines = 0;
async function sinkCount() {
  const seen = sink.output().split('\n').filter((l) => l.startsWith('count ')).length;
  sink.child.stdin.write('count\n');
  await until(() => sink.output().split('\n').filter((l) => l.startsWith('count ')).length > seen, 'sink count');
  const lines = sink.output().split('\n').filter((l) => l.startsWith('count '));
  sinkLines = lines.length;
  return Number(lines.at(-1).split(' ')[1]);
}

const port = await freePort();
const adminPort = await freePort();
const metricsPort = await freePort();
const dir = mkdtempSync(join(tmpdir(), 'bench-tail-'));
const cfg = join(dir, 'gateway.yaml');
writeFileSync(cfg, [
  'receivers:', '  otlp:', '    protocols:', '      http:', `        endpoint: 127.0.0.1:${port}`,
  'exporters:', '  otlphttp:', `    endpoint: http://127.0.0.1:${sinkPort}`, '    compression: none',
  '    sending_queue:', '      queue_size: 1000', '      num_consumers: 10', '      block_on_overflow: true',
  'extensions:', '  admin:', `    endpoint: 127.0.0.1:${adminPort}`,
  'service:', '  extensions: [admin]', '  pipelines:', '    logs:', '      receivers: [otlp]', '      exporters: [otlphttp]',
  '  telemetry:', '    logs:', '      level: warn', '    metrics:', `      address: 127.0.0.1:${metricsPort}`, '',
].join('\n'));
const gw = spawnNode(['dist/cli.js', '--config', cfg]);
const admin = `http://127.0.0.1:${adminPort}`;
await until(async () => (await fetch(`${admin}/api/v1/tail?limit=1`).then((r) => { r.body?.cancel(); return r.status === 200; }, () => false)), `gateway (${gw.output()})`);

async function metric(name) {
  const text = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then((r) => (r.ok ? r.text() : ''), () => '');
  return text.split('\n').filter((l) => l.startsWith(name)).reduce((a, l) => a + Number(l.split(' ').at(-1)), 0);
}

/** A subscriber that reads everything; counts records and checks each matches the where. */
function fastSubscriber() {
  const abort = new AbortController();
  const state = { records: 0, mismatched: 0, dropped: 0, done: undefined };
  state.done = (async () => {
    try {
      const res = await fetch(`${admin}/api/v1/tail?where=${encodeURIComponent(WHERE)}`, { signal: abort.signal });
      const decoder = new TextDecoder();
      let text = '';
      for await (const chunk of res.body) {
        text += decoder.decode(chunk, { stream: true });
        for (let i = text.indexOf('\n\n'); i >= 0; i = text.indexOf('\n\n')) {
          const block = text.slice(0, i);
          text = text.slice(i + 2);
          const ev = /^event: (.*)$/m.exec(block)?.[1];
          const data = JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? 'null');
          if (ev === 'record') {
            state.records++;
            if (data.attributes['make.scenario.id'] !== 1005) state.mismatched++;
          } else if (ev === 'dropped') state.dropped = data.dropped;
        }
      }
    } catch (err) {
      if (err.name !== 'AbortError') throw err;
    }
  })();
  state.stop = () => abort.abort();
  return state;
}

/** A subscriber that reads the headers and then nothing: it must be cut off, never waited for. */
function slowSubscriber() {
  let res;
  const req = request(`${admin}/api/v1/tail`, (r) => {
    res = r;
    r.pause();
  });
  req.on('error', () => {});
  req.end();
  return { stop: () => (res ? res.destroy() : req.destroy()) };
}

async function slice(withTail) {
  const subs = withTail ? [fastSubscriber(), fastSubscriber()] : [];
  const slow = withTail ? slowSubscriber() : undefined;
  const cut0 = await metric('gateway_tail_cut_off_subscribers_total');
  const delivered0 = await sinkCount();
  const cpu0 = cpuSeconds(gw.child.pid);
  const t0 = performance.now();
  const load = await runLoad({ port, body, recordsPerRequest, durationMs: sliceMs, ratePerSec });
  const elapsedS = (performance.now() - t0) / 1000;
  const cpuS = cpuSeconds(gw.child.pid) - cpu0;
  const delivered = (await sinkCount()) - delivered0;
  const cutOff = (await metric('gateway_tail_cut_off_subscribers_total')) - cut0;
  for (const s of subs) s.stop();
  slow?.stop();
  await Promise.all(subs.map((s) => s.done));
  return { withTail, recordsPerSec: delivered / elapsedS, acked: load.ackedRecords, cpuMsPer1k: (cpuS * 1000) / (load.ackedRecords / 1000), cutOff, fast: subs.map((s) => ({ records: s.records, mismatched: s.mismatched, dropped: s.dropped })), statuses: load.statuses };
}

await runLoad({ port, body, recordsPerRequest, durationMs: 2000, ratePerSec }); // warm-up
const runs = [];
for (let p = 0; p < pairs; p++) {
  // Alternate the order so a trend in the machine's load does not favour one state.
  for (const withTail of p % 2 === 0 ? [false, true] : [true, false]) {
    const r = await slice(withTail);
    runs.push(r);
    console.error(`tail ${withTail ? 'on ' : 'off'}: ${Math.round(r.recordsPerSec)} records/s delivered, ${r.cpuMsPer1k.toFixed(2)} CPU ms/1k, cut off ${r.cutOff}, fast subscribers ${JSON.stringify(r.fast)}`);
  }
}
gw.child.kill('SIGTERM');
sink.child.stdin.write('exit\n');
await new Promise((r) => gw.child.once('exit', r));
rmSync(dir, { recursive: true, force: true });

const avg = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const on = runs.filter((r) => r.withTail);
const off = runs.filter((r) => !r.withTail);
const row = (name, rs) => `| ${name} | ${Math.round(avg(rs.map((r) => r.recordsPerSec)))} | ${avg(rs.map((r) => r.cpuMsPer1k)).toFixed(2)} |`;
const ratio = avg(on.map((r) => r.recordsPerSec)) / avg(off.map((r) => r.recordsPerSec));
console.log(`\n${new Date().toISOString().slice(0, 16)} UTC, node ${process.version}, ${cpus().length} CPUs, offered ${ratePerSec * recordsPerRequest} records/s (${ratePerSec} requests/s × ${recordsPerRequest}), ${pairs} pairs of ${sliceMs / 1000} s slices\n`);
console.log('| tail | delivered records/s | gateway CPU ms / 1k records |');
console.log('|---|---|---|');
console.log(row('off', off));
console.log(row('on (3 subscribers)', on));
console.log(`\nthroughput ratio on/off: ${ratio.toFixed(3)}; slow subscribers cut off: ${on.reduce((a, r) => a + r.cutOff, 0)} of ${on.length}; fast subscribers' records not matching where: ${on.reduce((a, r) => a + r.fast.reduce((b, f) => b + f.mismatched, 0), 0)}, records they got: ${on.map((r) => r.fast.map((f) => f.records).join('+')).join(', ')}`);
