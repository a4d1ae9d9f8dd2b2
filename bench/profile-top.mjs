// Summarises a V8 CPU profile (.cpuprofile, from `node --cpu-prof`, e.g. a gateway run with
// `bench/decode.mjs --gateway-node-args="--cpu-prof --cpu-prof-dir=/tmp/prof"`): the functions
// with the most samples of their own ("self") and with the most samples anywhere below them
// ("inclusive"), as a share of all samples, idle included, and the busy share (all but "(idle)").
// BENCHMARKS.md quotes these lines for every missed target of issue 23.
// Usage: node bench/profile-top.mjs <file.cpuprofile> [how many lines, default 25]
import { readFileSync } from 'node:fs';

const [file, many = '25'] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/profile-top.mjs <file.cpuprofile> [lines]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parentOf = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
const samplesAt = new Map();
for (const s of profile.samples) samplesAt.set(s, (samplesAt.get(s) ?? 0) + 1);

const label = (node) => {
  const f = node.callFrame;
  const where = f.url ? ` ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}` : '';
  return `${f.functionName || '(anonymous)'}${where}`;
};
const self = new Map();
const inclusive = new Map();
for (const [id, count] of samplesAt) {
  const own = label(byId.get(id));
  self.set(own, (self.get(own) ?? 0) + count);
  // A recursive function is counted once per sample, however deep it nests.
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parentOf.get(cur)) {
    const name = label(byId.get(cur));
    if (seen.has(name)) continue;
    seen.add(name);
    inclusive.set(name, (inclusive.get(name) ?? 0) + count);
  }
}
const total = profile.samples.length;
const idle = self.get('(idle)') ?? 0;
const pct = (n) => `${((100 * n) / total).toFixed(1).padStart(5)} %`;
const top = (m) => [...m].sort((a, b) => b[1] - a[1]).slice(0, Number(many));
console.log(`${total} samples, busy ${((100 * (total - idle)) / total).toFixed(1)} %`);
console.log('self:');
for (const [name, n] of top(self)) console.log(`${pct(n)}  ${name}`);
console.log('inclusive:');
for (const [name, n] of top(inclusive)) console.log(`${pct(n)}  ${name}`);
