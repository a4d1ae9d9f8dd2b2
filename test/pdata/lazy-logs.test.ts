import { describe, expect, it } from 'vitest';
import { LazyLogs } from '../../src/pdata/lazy-logs.js';
import { cloneLogs, countLogRecords } from '../../src/pdata/model.js';
import { decodeLogs, encodeLogs } from '../../src/pdata/proto.js';
import { scanLogs } from '../../src/pdata/proto-scan.js';
import { forgetWireBytes, wireBytesOf } from '../../src/pdata/wire-bytes.js';
import { richLogs } from './fixtures.js';
import { randomLogs } from './random-logs.js';

function lazyOf(bytes: Uint8Array): LazyLogs {
  return new LazyLogs(bytes, scanLogs(bytes).records);
}

describe('LazyLogs', () => {
  it('counts its records and gives its bytes back without decoding', () => {
    const bytes = encodeLogs(randomLogs(7));
    const lazy = lazyOf(bytes);
    expect(countLogRecords(lazy)).toBe(countLogRecords(decodeLogs(bytes)));
    expect(wireBytesOf(lazy)).toBe(bytes);
    expect(lazy.pristine).toBe(true);
  });

  it('decodes on first read of resourceLogs, once, into what decodeLogs gives', () => {
    const bytes = encodeLogs(richLogs());
    const lazy = lazyOf(bytes);
    const first = lazy.resourceLogs;
    expect(first).toEqual(decodeLogs(bytes).resourceLogs);
    expect(lazy.resourceLogs).toBe(first);
    expect(lazy.pristine).toBe(false);
  });

  it('after a read, counts and forwards what the records are now, not what arrived', () => {
    const bytes = encodeLogs(richLogs());
    const lazy = lazyOf(bytes);
    const before = countLogRecords(lazy);
    lazy.resourceLogs[0].scopeLogs[0].logRecords.pop();
    expect(countLogRecords(lazy)).toBe(before - 1);
    // Nothing remembered the bytes for this object, and they are stale now: exporters must encode.
    expect(wireBytesOf(lazy)).toBeUndefined();
  });

  it('takes an assigned resourceLogs (as the filter processor does)', () => {
    const lazy = lazyOf(encodeLogs(richLogs()));
    lazy.resourceLogs = [];
    expect(lazy.resourceLogs).toEqual([]);
    expect(countLogRecords(lazy)).toBe(0);
    expect(wireBytesOf(lazy)).toBeUndefined();
  });

  it('looks like a plain Logs to cloning, spreading and equality', () => {
    const bytes = encodeLogs(richLogs());
    const expected = decodeLogs(bytes);
    expect(cloneLogs(lazyOf(bytes))).toEqual(expected);
    expect({ ...lazyOf(bytes) }).toEqual(expected);
    expect(lazyOf(bytes)).toEqual(expected);
    expect(Object.keys(lazyOf(bytes))).toEqual(['resourceLogs']);
  });

  it('still forwards its own bytes when a pipeline forgot the remembered ones but nothing read it', () => {
    const bytes = encodeLogs(richLogs());
    const lazy = lazyOf(bytes);
    forgetWireBytes(lazy);
    expect(wireBytesOf(lazy)).toBe(bytes);
  });
});

describe('LazyLogs and the garbage collector', () => {
  it('lets a scavenge free the bytes of requests nobody holds any more', async () => {
    const { arrayBufferMb, scavenge, fullGc } = await import('../helpers/young-gc.js');
    const body = encodeLogs(randomLogs(3));
    await fullGc();
    const baseline = arrayBufferMb();
    // 40 requests of 256 KB (the bytes are the request; only their length matters here).
    let held: LazyLogs[] = [];
    for (let i = 0; i < 40; i++) {
      const bytes = new Uint8Array(256 * 1024);
      bytes.set(body);
      held.push(lazyOf(bytes.subarray(0, body.byteLength)));
    }
    expect(arrayBufferMb() - baseline).toBeGreaterThan(10);
    held = [];
    await scavenge();
    // With an accessor pair of closures per instance, each request got its own property layout,
    // which V8 keeps until a full GC, and with it the request's bytes: all 10 MB stayed.
    expect(arrayBufferMb() - baseline).toBeLessThan(1);
  });

  it('gives every instance the same accessor, however many there are', () => {
    const a = Object.getOwnPropertyDescriptor(lazyOf(encodeLogs(randomLogs(1))), 'resourceLogs')!;
    const b = Object.getOwnPropertyDescriptor(lazyOf(encodeLogs(randomLogs(2))), 'resourceLogs')!;
    expect(a.get).toBe(b.get);
    expect(a.set).toBe(b.set);
    expect(a.enumerable).toBe(true);
  });
});
