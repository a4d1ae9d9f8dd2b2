import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStorageClient, type StorageClient } from '../../../../src/extensions/storage.js';
import { LeaseElector, type LeaseBackend, type LeaseRecord } from '../../../../src/receivers/make/lease/elector.js';
import { silentLogger } from '../../../../src/telemetry/logger.js';

/** One shared compare-and-set record, as a NATS KV key or a Lease object behaves; can be cut off. */
class SharedRecord {
  record?: LeaseRecord;
  version = 0;
  unreachable = new Set<string>();
  readonly cursors = new MemoryStorageClient();

  backend(name: string): LeaseBackend {
    const check = () => {
      if (this.unreachable.has(name)) throw new Error('connection refused');
    };
    return {
      description: `shared record (${name})`,
      read: async () => (check(), this.record && { ...this.record }),
      create: async (holder) => {
        check();
        if (this.record) return undefined;
        this.record = { holder, version: String(++this.version) };
        return { ...this.record };
      },
      update: async (prev, holder) => {
        check();
        if (this.record?.version !== prev.version) return undefined;
        this.record = { holder, version: String(++this.version) };
        return { ...this.record };
      },
      release: async (prev) => {
        check();
        if (this.record?.version === prev.version) this.record = { holder: '', version: String(++this.version) };
      },
      cursorStore: (holding): StorageClient => ({
        get: (k) => this.cursors.get(k),
        set: async (k, v) => {
          if (!holding()) throw new Error('make lease lost');
          await this.cursors.set(k, v);
        },
        delete: (k) => this.cursors.delete(k),
      }),
      close: async () => {},
    };
  }
}

const TTL = 600;
const electors: LeaseElector[] = [];
afterEach(async () => {
  for (const e of electors.splice(0)) await e.stop();
});

function elector(shared: SharedRecord, name: string, terms: { name: string; at: number; ended?: number }[]): LeaseElector {
  const e = new LeaseElector({
    backend: shared.backend(name),
    identity: name,
    ttlMs: TTL,
    logger: silentLogger,
    onLeading: (term) => {
      const t = { name, at: Date.now() } as { name: string; at: number; ended?: number };
      terms.push(t);
      term.addEventListener('abort', () => (t.ended = Date.now()));
    },
  });
  electors.push(e);
  return e;
}

async function until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('lease elector', () => {
  it('elects exactly one of three and keeps it while it renews', async () => {
    const shared = new SharedRecord();
    const terms: { name: string; at: number; ended?: number }[] = [];
    const all = ['a', 'b', 'c'].map((n) => elector(shared, n, terms));
    for (const e of all) e.start();
    await until('a leader', () => terms.length > 0);
    // Three ttls: a follower that misjudged expiry would have taken over by now.
    await new Promise((r) => setTimeout(r, 3 * TTL));
    expect(terms).toHaveLength(1);
    expect(all.filter((e) => e.leading)).toHaveLength(1);
    expect(shared.record?.holder).toBe(terms[0].name);
  });

  it('a follower takes over once the holder stops renewing, and never while it renews', async () => {
    const shared = new SharedRecord();
    const terms: { name: string; at: number; ended?: number }[] = [];
    const a = elector(shared, 'a', terms);
    a.start();
    await until('a leads', () => a.leading);
    const b = elector(shared, 'b', terms);
    b.start();
    await new Promise((r) => setTimeout(r, 2 * TTL));
    expect(b.leading).toBe(false);
    // The holder's network goes away: it must stop before b starts (no two terms overlap).
    shared.unreachable.add('a');
    await until('b leads', () => b.leading);
    const [ta, tb] = terms;
    expect(ta.name).toBe('a');
    expect(tb.name).toBe('b');
    expect(ta.ended).toBeDefined();
    expect(ta.ended!).toBeLessThanOrEqual(tb.at);
    expect(a.leading).toBe(false);
  });

  it('hands over at once when the holder stops cleanly (release)', async () => {
    const shared = new SharedRecord();
    const terms: { name: string; at: number; ended?: number }[] = [];
    const a = elector(shared, 'a', terms);
    a.start();
    await until('a leads', () => a.leading);
    const b = elector(shared, 'b', terms);
    b.start();
    await new Promise((r) => setTimeout(r, 200));
    const stoppedAt = Date.now();
    await a.stop();
    await until('b leads', () => b.leading);
    // A released lease has no holder: b takes it at its next look, without waiting a ttl.
    expect(terms[1].at - stoppedAt).toBeLessThan(TTL);
  });

  it('a replica whose term ended cannot write a cursor', async () => {
    const shared = new SharedRecord();
    let store: StorageClient | undefined;
    const backend = shared.backend('a');
    const e: LeaseElector = new LeaseElector({
      backend,
      identity: 'a',
      ttlMs: TTL,
      logger: silentLogger,
      onLeading: (term) => (store = backend.cursorStore(() => e.leading && !term.aborted)),
    });
    electors.push(e);
    e.start();
    await until('a leads', () => store !== undefined);
    await store!.set('scenario/1/cursor', 'x');
    shared.unreachable.add('a');
    await until('a steps down', () => !e.leading);
    await expect(store!.set('scenario/1/cursor', 'y')).rejects.toThrow(/lease lost/);
    expect(await shared.cursors.get('scenario/1/cursor')).toBe('x');
  });
});
