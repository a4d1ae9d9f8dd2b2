import { afterEach, describe, expect, it } from 'vitest';
import { MemoryLimiterProcessor, memoryLimiterProcessorFactory } from '../../../src/processors/memory_limiter/factory.js';
import { JSON_EXPANSION, MemoryAdmission, expectedCost, memoryAdmission } from '../../../src/processors/memory_limiter/admission.js';
import { EXTERNAL_BUDGET_SHARE, totalMemoryBytes } from '../../../src/processors/memory_limiter/memory.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { Telemetry } from '../../../src/telemetry/telemetry.js';
import { startReceiver, type Running } from '../../receivers/otlp/harness.js';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
const noCgroup = () => {
  throw new Error('ENOENT');
};

function limiter(raw: Record<string, unknown>, usedMiB: () => number, admission?: MemoryAdmission) {
  return new MemoryLimiterProcessor(
    { id: 'memory_limiter', telemetry: new Telemetry({ processMetrics: false }), logger: silentLogger },
    memoryLimiterProcessorFactory.schema.parse(raw),
    { consume: async () => undefined },
    { readMemory: () => usedMiB() * MIB, totalMemory: () => 1000 * MIB, gc: () => undefined, admission },
  );
}

describe('memory_limiter limits', () => {
  it('takes percentages of min(cgroup or host memory, V8 heap limit + external budget), not of host memory alone', () => {
    // The measured failure: 24 GB host, 4 GB heap limit; 80 % of the host is past what V8 can hold.
    expect(totalMemoryBytes(noCgroup, 4 * GIB)).toBe(4 * GIB * (1 + EXTERNAL_BUDGET_SHARE));
    const cgroup = (p: string) => (p === '/sys/fs/cgroup/memory.max' ? String(512 * MIB) : noCgroup());
    expect(totalMemoryBytes(cgroup, 4 * GIB)).toBe(512 * MIB);
  });
});

describe('memory admission before a body is read', () => {
  it('reserves against the soft limit, refuses what would exceed it, and admits again once released', async () => {
    const admission = new MemoryAdmission();
    // limit 1000 MiB, spike 200 → soft 800; 100 MiB in use → 700 MiB of headroom.
    const l = limiter({ limit_mib: 1000 }, () => 100, admission);
    await l.start({ getExtension: () => undefined });
    try {
      const a = admission.reserve(400 * MIB);
      const b = admission.tryReserve(250 * MIB);
      expect(b).toBeDefined();
      expect(admission.tryReserve(100 * MIB)).toBeUndefined();
      expect(() => admission.reserve(100 * MIB)).toThrow(expect.objectContaining({ code: 'MEMORY_LIMIT', throttled: true }));
      a.release();
      a.release();
      expect(admission.reserved).toBe(250 * MIB);
      expect(admission.tryReserve(100 * MIB)).toBeDefined();
    } finally {
      await l.shutdown();
    }
    // Detached at shutdown: nothing limits any more.
    expect(admission.tryReserve(10 * GIB)).toBeDefined();
  });

  it('refuses a reservation growing past the limit once the streamed size is known', async () => {
    const admission = new MemoryAdmission();
    const l = limiter({ limit_mib: 1000 }, () => 0, admission);
    await l.start({ getExtension: () => undefined });
    try {
      const other = admission.reserve(100 * MIB);
      const r = admission.reserve(10 * MIB);
      expect(r.resize(900 * MIB)).toBe(false);
      expect(admission.reserved).toBe(110 * MIB);
      expect(r.resize(300 * MIB)).toBe(true);
      expect(admission.reserved).toBe(400 * MIB);
      other.release();
      r.release();
      expect(admission.reserved).toBe(0);
    } finally {
      await l.shutdown();
    }
  });

  it('lets one request in alone while there is any headroom, and none when memory is past the soft limit', async () => {
    const admission = new MemoryAdmission();
    let used = 0;
    const l = limiter({ limit_mib: 100 }, () => used, admission);
    await l.start({ getExtension: () => undefined });
    try {
      const alone = admission.tryReserve(500 * MIB);
      expect(alone).toBeDefined();
      alone!.release();
      used = 90;
      l.checkMemory();
      expect(admission.tryReserve(1)).toBeUndefined();
    } finally {
      await l.shutdown();
    }
  });

  it('counts OTLP/JSON at its measured expansion and compressed bodies at a guess bounded by the body limit', () => {
    expect(expectedCost(1 * MIB, false, true, 20 * MIB)).toBe(JSON_EXPANSION * MIB);
    expect(expectedCost(10 * MIB, true, true, 20 * MIB)).toBe(JSON_EXPANSION * 20 * MIB);
    expect(expectedCost(undefined, false, true, 20 * MIB)).toBe(0);
  });
});

describe('OTLP/HTTP receiver with a memory_limiter', () => {
  let run: Running | undefined;
  let l: MemoryLimiterProcessor | undefined;
  afterEach(async () => {
    await run?.receiver.shutdown();
    await l?.shutdown();
    run = undefined;
    l = undefined;
  });

  it('answers 429 with Retry-After before reading a body that would exceed the limit, then accepts once memory is free', async () => {
    // soft limit 80 MiB; a 4 MiB JSON body counts 32 MiB.
    l = limiter({ limit_mib: 100 }, () => 0);
    await l.start({ getExtension: () => undefined });
    run = await startReceiver({ http: { endpoint: '127.0.0.1:0' } });
    let release!: () => void;
    run.next.gate = new Promise<void>((r) => (release = r));
    const body = Buffer.from(JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'x'.repeat(4 * MIB) } }] }] }] }));
    const post = () => fetch(`${run!.httpUrl}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const first = post();
    const second = post();
    for (let i = 0; i < 200 && run.next.calls < 2; i++) await new Promise((r) => setTimeout(r, 25));
    expect(run.next.calls).toBe(2);
    // Two in flight hold 64 MiB of 80: a third would exceed the limit and is refused unread.
    const third = await post();
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(run.next.calls).toBe(2);
    release();
    expect((await first).status).toBe(200);
    expect((await second).status).toBe(200);
    expect(memoryAdmission.reserved).toBe(0);
    expect((await post()).status).toBe(200);
  });

  it('reserves an unsized (chunked) body as it streams in, and refuses it with 429 once it would exceed the limit', async () => {
    l = limiter({ limit_mib: 100 }, () => 0);
    await l.start({ getExtension: () => undefined });
    run = await startReceiver({ http: { endpoint: '127.0.0.1:0' } });
    let release!: () => void;
    run.next.gate = new Promise<void>((r) => (release = r));
    const sized = Buffer.from(JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'x'.repeat(4 * MIB) } }] }] }] }));
    const url = `${run.httpUrl}/v1/logs`;
    const first = fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: sized });
    for (let i = 0; i < 200 && run.next.calls < 1; i++) await new Promise((r) => setTimeout(r, 25));
    // 32 MiB held; an unsized body of 8 MiB (64 MiB parsed) would pass 80 MiB while it streams.
    const chunk = new Uint8Array(256 * 1024).fill(0x20);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent >= 8 * MIB) return c.close();
        sent += chunk.length;
        c.enqueue(chunk);
      },
    });
    const chunked = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: stream, duplex: 'half' } as RequestInit);
    expect(chunked.status).toBe(429);
    expect(chunked.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(run.next.calls).toBe(1);
    release();
    expect((await first).status).toBe(200);
    expect(memoryAdmission.reserved).toBe(0);
  });
});
