/**
 * Measures what group commit buys (run: npx tsx bench/queue-group-commit.bench.ts). Not a test:
 * speed belongs to measurements, not assertions. Compares, with fsync on, N enqueues of 1 KiB
 * (a) one in flight at a time: every enqueue pays its own commit and fsync, and
 * (b) IN_FLIGHT concurrent enqueues: those arriving in one event-loop turn share a commit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteQueue } from '../src/queue/sqlite-queue.js';

const N = 2_000;
const IN_FLIGHT = 64;
const payload = new Uint8Array(1024).fill(7);

async function run(label: string, concurrency: number, fsync: boolean): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'group-commit-'));
  const q = SqliteQueue.open({ directory: dir, fsync, exporterId: 'measure', sizer: 'requests', capacity: N + 1, overflow: 'refuse' });
  const started = process.hrtime.bigint();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < N) await q.enqueue({ bytes: payload, items: 1 });
    }),
  );
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  await q.close();
  rmSync(dir, { recursive: true, force: true });
  console.log(`${label.padEnd(42)} ${(N / (ms / 1000)).toFixed(0).padStart(8)} enqueues/s  (${ms.toFixed(0)} ms for ${N})`);
}

await run('fsync on, 1 in flight (commit per request)', 1, true);
await run(`fsync on, ${IN_FLIGHT} in flight (group commit)`, IN_FLIGHT, true);
await run('fsync off, 1 in flight', 1, false);
await run(`fsync off, ${IN_FLIGHT} in flight`, IN_FLIGHT, false);
