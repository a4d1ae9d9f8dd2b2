/**
 * make_anomaly precision/recall on deterministic synthetic series (BENCHMARKS.md, "Make anomaly
 * detection"). Run: `npx tsx bench/make-anomaly.ts [seed ...]` (default seeds 1..5).
 */
import { detect, score } from './make-anomaly-eval.js';
import { END_MS, INJECTIONS, SHAPES, WEEKS, generateRuns } from './make-anomaly-synthetic.js';

const seeds = process.argv.slice(2).map(Number).filter(Number.isFinite);
const list = seeds.length > 0 ? seeds : [1, 2, 3, 4, 5];
let tp = 0;
let alerts = 0;
let found = 0;
console.log(`scenarios ${SHAPES.length}, weeks ${WEEKS}, injected ${INJECTIONS.length} (${[...new Set(INJECTIONS.map((i) => i.kind))].join(', ')})`);
for (const seed of list) {
  const clean = score(detect(generateRuns({ seed }), END_MS), []);
  const runs = generateRuns({ seed, injections: INJECTIONS });
  const t0 = performance.now();
  const s = score(detect(runs, END_MS), INJECTIONS);
  const ms = performance.now() - t0;
  tp += s.alerts.length - s.falseAlerts.length;
  alerts += s.alerts.length;
  found += s.found.length;
  console.log(
    `seed ${seed}: clean alerts ${clean.alerts.length}; injected: recall ${s.recall.toFixed(3)} (${s.found.length}/${INJECTIONS.length}), precision ${s.precision.toFixed(3)} (${s.alerts.length - s.falseAlerts.length}/${s.alerts.length}), ${runs.length} runs in ${ms.toFixed(0)} ms`,
  );
  for (const m of s.missed) console.log(`  missed ${m.kind} ${m.scenarioId} at ${new Date(m.startMs).toISOString()}`);
  for (const f of s.falseAlerts) console.log(`  false ${f.kind} ${f.scenarioId} at ${new Date(f.windowStartMs).toISOString()} observed ${f.observed.toFixed(3)} baseline ${f.baseline.toFixed(3)}`);
  for (const f of clean.alerts) console.log(`  clean-run alert ${f.kind} ${f.scenarioId} at ${new Date(f.windowStartMs).toISOString()} observed ${f.observed.toFixed(3)} baseline ${f.baseline.toFixed(3)}`);
}
console.log(`overall: recall ${(found / (INJECTIONS.length * list.length)).toFixed(3)}, precision ${(alerts === 0 ? 1 : tp / alerts).toFixed(3)}`);
