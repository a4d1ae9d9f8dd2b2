import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { HEAP_GROWING_PERCENT, heapGrowingFlag, tuneHeap } from '../src/heap-tuning.js';

describe('V8 heap growth for the gateway process', () => {
  it('sets a fixed growth factor by default', () => {
    expect(heapGrowingFlag([])).toBe(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
    expect(heapGrowingFlag(['--enable-source-maps'])).toBe(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  });

  it("leaves the operator's own node flag alone, in either spelling", () => {
    expect(heapGrowingFlag(['--heap-growing-percent=50'])).toBeUndefined();
    expect(heapGrowingFlag(['--heap_growing_percent=50'])).toBeUndefined();
  });

  it('is a flag this V8 accepts at run time (an unknown flag would be silently ignored)', () => {
    const out = spawnSync(process.execPath, ['--v8-options'], { encoding: 'utf8' });
    expect(out.stdout).toMatch(/--heap-growing-percent/);
    expect(() => tuneHeap([])).not.toThrow();
  });
});
