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
