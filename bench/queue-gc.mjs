// The persistent queue's GC behaviour in isolation (BENCHMARKS.md, session 6, "A lead for next
// time"): enqueues 2600 requests/s of 29.5 KB for 8 s, a consumer acks each 20 ms after taking it.
// Run with V8's GC trace and compare the kinds:
//   npm run build && node --trace-gc-nvp bench/queue-gc.mjs persistent | memory | table
// `table` is the persistent queue with the stage log bypassed (every request into SQLite).
// Measured in session 6: persistent 14-16 full GCs and ~23 MB surviving scavenges until staged
// entries stopped being built with an object spread (then 0 and 4 MB); memory 0 and 2 MB; table
// 2 and 4 MB, with about the same allocation.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const { SqliteQueue } = await import(join(root, 'dist/queue/sqlite-queue.js'));
const { MemoryQueue } = await import(join(root, 'dist/queue/memory-queue.js'));
const { QueueDatabase } = await import(join(root, 'dist/queue/database.js'));

const kind = process.argv[2] ?? 'persistent';
if (!['persistent', 'memory', 'table'].includes(kind)) throw new Error(`unknown kind ${kind}`);
if (kind === 'table') QueueDatabase.prototype.canStage = () => false;
const limits = { sizer: 'requests', capacity: 1000, overflow: 'block' };
const dir = mkdtempSync(join(tmpdir(), 'queue-gc-'));
const queue = kind === 'memory' ? new MemoryQueue(limits) : SqliteQueue.open({ ...limits, directory: dir, fsync: true, exporterId: 'bench' });

const template = Buffer.alloc(29533, 7);
let stopped = false;
void (async () => {
  while (!stopped) {
    const r = await queue.take();
    if (!r) break;
    setTimeout(() => void queue.ack(r.id), 20);
  }
})();
let enqueued = 0;
const started = Date.now();
// 26 every 10 ms: 2600 requests/s, each body a fresh buffer as a receiver's would be.
const timer = setInterval(() => {
  for (let i = 0; i < 26; i++) {
    enqueued++;
    queue.enqueue({ bytes: Buffer.from(template), items: 100 }).catch(() => {});
  }
}, 10);
setTimeout(async () => {
  clearInterval(timer);
  stopped = true;
  console.error(`${kind}: ${enqueued} requests enqueued in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  await new Promise((r) => setTimeout(r, 300));
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}, 8000);
