import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * For tests that check what a scavenge (V8's young-generation GC) can free: the gateway's p99 was
 * set by request bodies that only a full GC freed (BENCHMARKS.md, session 7). Vitest runs each
 * test file in its own forked process (vitest.config.ts), so the process-wide array-buffer count
 * is this file's alone.
 */
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as (options?: { type: 'minor' | 'major' }) => void;

/** Bytes held by ArrayBuffers (request bodies are), in MB. */
export function arrayBufferMb(): number {
  return process.memoryUsage().arrayBuffers / 1e6;
}

/** Two scavenges, with turns of the event loop between them (array buffers are swept after). */
export async function scavenge(): Promise<void> {
  for (let i = 0; i < 2; i++) {
    gc({ type: 'minor' });
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Full GCs: what is long-lived after this is in the old generation, as in a running gateway. */
export async function fullGc(): Promise<void> {
  for (let i = 0; i < 2; i++) {
    gc({ type: 'major' });
    await new Promise((r) => setTimeout(r, 10));
  }
}
