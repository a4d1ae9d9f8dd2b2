import { describe, expect, it } from 'vitest';
import { googleCloudSchema } from '../../../src/exporters/googlecloud/config.js';
import { splitForJson } from '../../../src/exporters/googlecloud/entry-split.js';
import { gcpSeverity, logNameFor, monitoredResource, rfc3339Nanos } from '../../../src/exporters/googlecloud/log-entry.js';
import { packBodies } from '../../../src/exporters/googlecloud/sender.js';
import { sampleLogs } from './sample-logs.js';

describe('googlecloud mapping', () => {
  it.each([
    [0, 'DEFAULT'], [1, 'DEBUG'], [5, 'DEBUG'], [8, 'DEBUG'], [9, 'INFO'], [10, 'INFO'], [11, 'NOTICE'], [12, 'NOTICE'],
    [13, 'WARNING'], [16, 'WARNING'], [17, 'ERROR'], [20, 'ERROR'], [21, 'CRITICAL'], [22, 'CRITICAL'], [23, 'ALERT'],
    [24, 'EMERGENCY'], [25, 'DEFAULT'], [-3, 'DEFAULT'],
  ])('maps severity number %i to %s', (n, expected) => {
    expect(gcpSeverity(n)).toBe(expected);
  });

  it('writes timestamps as RFC 3339 with nanoseconds', () => {
    expect(rfc3339Nanos(1n)).toBe('1970-01-01T00:00:00.000000001Z');
    expect(rfc3339Nanos(1_700_000_000_999_999_999n)).toBe('2023-11-14T22:13:20.999999999Z');
  });

  it('URL-encodes the log id in logName', () => {
    expect(logNameFor('p', 'opentelemetry.io/collector-exported-log')).toBe('projects/p/logs/opentelemetry.io%2Fcollector-exported-log');
  });

  it('maps a resource without location to generic_node in "global"', () => {
    expect(monitoredResource(undefined)).toEqual({ type: 'generic_node', labels: { location: 'global', namespace: '', node_id: '' } });
  });

  it('cuts text for JSON without exceeding the byte budget or splitting a surrogate pair', () => {
    const text = 'a"😀\n'.repeat(1000);
    const parts = splitForJson(text, 100);
    expect(parts.join('')).toBe(text);
    for (const p of parts) expect(Buffer.byteLength(JSON.stringify(p)) - 2).toBeLessThanOrEqual(100);
    for (const p of parts) expect(p.codePointAt(0)).not.toBe(0xde00);
  });

  it('packs records into bodies no larger than the limit, keeping every record', () => {
    const bodies = packBodies(sampleLogs(500), 'p', 'log', 100_000);
    expect(bodies.length).toBeGreaterThan(5);
    let total = 0;
    for (const b of bodies) {
      expect(Buffer.byteLength(b.json)).toBeLessThanOrEqual(100_000);
      const parsed = JSON.parse(b.json);
      expect(parsed.entries).toHaveLength(b.entries);
      expect(parsed.partialSuccess).toBe(true);
      total += b.entries;
    }
    expect(total).toBe(500);
  });
});

describe('googlecloud config', () => {
  it('defaults the log name and endpoint like the Collector', () => {
    const c = googleCloudSchema.parse({});
    expect(c.log.default_log_name).toBe('opentelemetry.io/collector-exported-log');
    expect(c.log.endpoint).toBe('https://logging.googleapis.com');
    expect(c.timeout).toBe(12_000);
  });

  it('reads a Collector-style host:port endpoint as https', () => {
    expect(googleCloudSchema.parse({ log: { endpoint: 'logging.googleapis.com:443' } }).log.endpoint).toBe('https://logging.googleapis.com:443');
  });

  it('refuses unknown keys', () => {
    expect(googleCloudSchema.safeParse({ log: { default_logname: 'x' } }).success).toBe(false);
    expect(googleCloudSchema.safeParse({ projct: 'x' }).success).toBe(false);
  });
});
