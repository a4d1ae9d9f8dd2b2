import { describe, expect, it } from 'vitest';
import { RetryableError } from '../../../src/errors.js';
import type { Logs } from '../../../src/pdata/model.js';
import { MemoryLimiterProcessor, memoryLimiterProcessorFactory } from '../../../src/processors/memory_limiter/factory.js';
import { computeLimits } from '../../../src/processors/memory_limiter/config.js';
import { totalMemoryBytes } from '../../../src/processors/memory_limiter/memory.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { Telemetry } from '../../../src/telemetry/telemetry.js';
import { makeLogs } from '../batch/fixtures.js';

const MIB = 1024 * 1024;

function setup(raw: Record<string, unknown>, opts: { totalMiB?: number; gc?: () => void } = {}) {
  const telemetry = new Telemetry({ processMetrics: false });
  const received: Logs[] = [];
  let usedMiB = 0;
  const limiter = new MemoryLimiterProcessor(
    { id: 'memory_limiter', telemetry, logger: silentLogger },
    memoryLimiterProcessorFactory.schema.parse(raw),
    { consume: async (l) => void received.push(l) },
    { readMemory: () => usedMiB * MIB, totalMemory: () => (opts.totalMiB ?? 1000) * MIB, gc: opts.gc },
  );
  return { telemetry, received, limiter, setUsed: (mib: number) => (usedMiB = mib) };
}

describe('memory_limiter processor', () => {
  it('refuses with a throttling MEMORY_LIMIT retryable error above the soft limit', async () => {
    const { limiter, setUsed, received } = setup({ check_interval: '1s', limit_mib: 100, spike_limit_mib: 20 });
    setUsed(81);
    limiter.checkMemory();
    const err = await limiter.consume(makeLogs(3)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect(err).toMatchObject({ code: 'MEMORY_LIMIT', throttled: true });
    expect((err as RetryableError).retryAfterMs).toBeGreaterThan(0);
    expect(received).toHaveLength(0);
  });

  it('accepts data again once usage falls below the soft limit', async () => {
    const { limiter, setUsed, received } = setup({ check_interval: '1s', limit_mib: 100, spike_limit_mib: 20 });
    setUsed(90);
    limiter.checkMemory();
    await expect(limiter.consume(makeLogs(1))).rejects.toBeInstanceOf(RetryableError);
    setUsed(79);
    limiter.checkMemory();
    await limiter.consume(makeLogs(1));
    expect(received).toHaveLength(1);
  });

  it('counts refused records in gateway_processor_refused_log_records', async () => {
    const { limiter, setUsed, telemetry } = setup({ limit_mib: 100 });
    setUsed(95);
    limiter.checkMemory();
    await limiter.consume(makeLogs(4)).catch(() => undefined);
    expect(await telemetry.metrics()).toContain('gateway_processor_refused_log_records_total{processor="memory_limiter"} 4');
  });

  it('defaults the spike limit to 20% of limit_mib', () => {
    const limits = computeLimits(memoryLimiterProcessorFactory.schema.parse({ limit_mib: 4000 }), 0);
    expect(limits.hardBytes).toBe(4000 * MIB);
    expect(limits.softBytes).toBe(3200 * MIB);
  });

  it('computes limits from percentages of total memory', () => {
    const limits = computeLimits(memoryLimiterProcessorFactory.schema.parse({ limit_percentage: 80, spike_limit_percentage: 15 }), 1000 * MIB);
    expect(limits.hardBytes).toBeCloseTo(800 * MIB);
    expect(limits.softBytes).toBeCloseTo(650 * MIB);
  });

  it('forces a collection above the hard limit and re-measures', () => {
    let collections = 0;
    const ctx = setup({ limit_mib: 100 }, { gc: () => (collections++, ctx.setUsed(10)) });
    ctx.setUsed(120);
    ctx.limiter.checkMemory();
    expect(collections).toBe(1);
    expect(ctx.limiter.isLimited).toBe(false);
  });

  it('rejects configs without a limit, with a spike not below the limit, or a zero check_interval', () => {
    const parse = (c: unknown) => memoryLimiterProcessorFactory.schema.safeParse(c);
    expect(JSON.stringify(parse({ check_interval: '1s' }).error?.issues)).toContain('limit_mib or limit_percentage');
    expect(JSON.stringify(parse({ limit_mib: 100, spike_limit_mib: 100 }).error?.issues)).toContain('must be less than limit_mib');
    expect(JSON.stringify(parse({ limit_percentage: 50, spike_limit_percentage: 60 }).error?.issues)).toContain('less than limit_percentage');
    expect(parse({ limit_mib: 100, check_interval: 0 }).success).toBe(false);
    expect(parse({ limit_mib: 100, limit_bytes: 1 }).success).toBe(false);
  });

  it('reads the cgroup v2 memory limit when one is set', () => {
    const files: Record<string, string> = { '/sys/fs/cgroup/memory.max': String(256 * MIB) };
    const read = (p: string) => {
      if (!(p in files)) throw new Error('ENOENT');
      return files[p];
    };
    expect(totalMemoryBytes(read)).toBe(256 * MIB);
    files['/sys/fs/cgroup/memory.max'] = 'max';
    expect(totalMemoryBytes(read)).toBeGreaterThan(256 * MIB);
  });

  it('passes data on below the soft limit', async () => {
    const { limiter, received } = setup({ limit_mib: 100 });
    await limiter.start({ getExtension: () => undefined });
    await limiter.consume(makeLogs(2));
    await limiter.shutdown();
    expect(received).toHaveLength(1);
  });
});

describe('memory_limiter garbage collection', () => {
  it('forces a real full collection above the soft limit without a node flag', async () => {
    const { PerformanceObserver, constants } = await import('node:perf_hooks');
    const major: number[] = [];
    const observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) if ((e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) major.push(e.startTime);
    });
    observer.observe({ entryTypes: ['gc'] });
    const telemetry = new Telemetry({ processMetrics: false });
    let used = 90 * MIB;
    const limiter = new MemoryLimiterProcessor(
      { id: 'memory_limiter', telemetry, logger: silentLogger },
      memoryLimiterProcessorFactory.schema.parse({ check_interval: '1s', limit_mib: 100, spike_limit_mib: 20, min_gc_interval_when_soft_limited: '0s' }),
      { consume: async () => {} },
      { readMemory: () => used, totalMemory: () => 1000 * MIB },
    );
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
    limiter.checkMemory();
    await new Promise((r) => setTimeout(r, 50));
    observer.disconnect();
    expect(major.length).toBeGreaterThanOrEqual(1);
    // The flag is off again: nothing else in the process gained a global gc.
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
    used = 10 * MIB;
    limiter.checkMemory();
    expect(limiter.isLimited).toBe(false);
  });
});
