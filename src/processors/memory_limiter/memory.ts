import { readFileSync } from 'node:fs';
import os from 'node:os';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * How much memory the gateway uses, as the limiter sees it: V8 heap in use plus memory held
 * outside the heap by Buffers and ArrayBuffers (`external`).
 *
 * Why not RSS: RSS does not fall promptly after a collection (allocators keep freed pages), so a
 * limiter on RSS stays "limited" long after the pressure is gone. Why not heapUsed alone: request
 * payloads live in Buffers outside the V8 heap. heapUsed + external is the closest Node analogue
 * of the Go heap allocation the Collector measures, and it drops when garbage is collected.
 */
export function readUsedMemoryBytes(): number {
  // The same two numbers process.memoryUsage() reports, without the RSS it also reads from /proc:
  // that read was 5 % of the gateway's CPU with 1-record requests (BENCHMARKS.md, issue 23).
  const h = getHeapStatistics();
  return h.used_heap_size + h.external_memory;
}

const CGROUP_V2_LIMIT = '/sys/fs/cgroup/memory.max';
const CGROUP_V1_LIMIT = '/sys/fs/cgroup/memory/memory.limit_in_bytes';

/** Memory the machine gives the process: the container's cgroup limit when one is set, else the host's. */
export function physicalMemoryBytes(readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): number {
  const host = os.totalmem();
  for (const path of [CGROUP_V2_LIMIT, CGROUP_V1_LIMIT]) {
    try {
      const text = readFile(path).trim();
      if (text === 'max') return host;
      const limit = Number(text);
      // cgroup v1 reports "no limit" as a huge number; anything above the host's memory means unlimited.
      if (Number.isFinite(limit) && limit > 0) return Math.min(limit, host);
    } catch {
      // not in a cgroup with a memory controller: try the next one
    }
  }
  return host;
}

/**
 * Memory outside V8's heap (Buffers: request bodies, queued bytes) the process may use besides a
 * full heap, as a share of the heap limit. Buffers are not bounded by V8; this keeps the sum sane.
 */
export const EXTERNAL_BUDGET_SHARE = 0.25;

/**
 * Memory the percentages refer to: `min(cgroup or host memory, V8 heap_size_limit + external
 * budget)`. Host memory alone is wrong for Node: on a 24 GB host, 80 % was 19 GB while V8 aborts
 * with "heap out of memory" at its ~4 GB heap limit, so the limiter never refused anything.
 */
export function totalMemoryBytes(readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'), heapLimitBytes = getHeapStatistics().heap_size_limit): number {
  return Math.min(physicalMemoryBytes(readFile), heapLimitBytes * (1 + EXTERNAL_BUDGET_SHARE));
}

/**
 * A function that forces a full collection, as the Collector's limiter calls runtime.GC(): without
 * it, garbage not yet collected counts as use and the limiter refuses data it could take (the
 * gateway lets the heap grow to 4 × its live size before collecting; heap-tuning.ts). Node only
 * defines `gc` with --expose-gc; turning the flag on for a moment and reading `gc` from a fresh
 * context gives the same function without asking operators for a node flag.
 */
export function forcedGc(): (() => void) | undefined {
  const global = (globalThis as { gc?: () => void }).gc;
  if (global) return global;
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}
