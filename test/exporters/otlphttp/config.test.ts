import { describe, expect, it } from 'vitest';
import { otlphttpConfigSchema, otlphttpLogsUrl } from '../../../src/exporters/otlphttp/config.js';
import { otlphttpExporterFactory } from '../../../src/exporters/otlphttp/factory.js';
import { redact } from '../../../src/telemetry/secrets.js';

describe('otlphttp exporter config', () => {
  it('is registered as otlphttp with the Collector alias otlp_http', () => {
    expect(otlphttpExporterFactory.type).toBe('otlphttp');
    expect(otlphttpExporterFactory.aliases).toContain('otlp_http');
  });

  it('defaults to protobuf, gzip and a 30 s timeout like the Collector', () => {
    const c = otlphttpConfigSchema.parse({ endpoint: 'http://collector:4318' });
    expect(c).toMatchObject({ encoding: 'proto', compression: 'gzip', timeout: 30_000, headers: {} });
    expect(c.sending_queue.enabled).toBe(true);
  });

  it('appends /v1/logs to endpoint, keeping a path prefix, and lets logs_endpoint win', () => {
    expect(otlphttpLogsUrl(otlphttpConfigSchema.parse({ endpoint: 'http://c:4318' })).href).toBe('http://c:4318/v1/logs');
    expect(otlphttpLogsUrl(otlphttpConfigSchema.parse({ endpoint: 'https://c/otlp/' })).href).toBe('https://c/otlp/v1/logs');
    expect(otlphttpLogsUrl(otlphttpConfigSchema.parse({ endpoint: 'http://c:4318', logs_endpoint: 'http://other/custom/logs' })).href).toBe('http://other/custom/logs');
  });

  it('refuses a config without any endpoint, naming the key', () => {
    const r = otlphttpConfigSchema.safeParse({});
    expect(r.success).toBe(false);
    expect(r.error?.issues[0].path).toEqual(['endpoint']);
  });

  it('refuses unknown keys and bad values', () => {
    expect(otlphttpConfigSchema.safeParse({ endpoint: 'http://c', endpont: 'x' }).success).toBe(false);
    expect(otlphttpConfigSchema.safeParse({ endpoint: 'http://c', encoding: 'xml' }).success).toBe(false);
    expect(otlphttpConfigSchema.safeParse({ endpoint: 'http://c', compression: 'brotli' }).success).toBe(false);
    expect(otlphttpConfigSchema.safeParse({ endpoint: 'c:4318' }).success).toBe(false);
    expect(otlphttpConfigSchema.safeParse({ endpoint: 'http://c', timeout: '5 seconds' }).success).toBe(false);
  });

  it('accepts "" as no compression, as the Collector does', () => {
    expect(otlphttpConfigSchema.parse({ endpoint: 'http://c', compression: '' }).compression).toBe('none');
  });

  it('accepts gzip, zstd and none on any supported Node version, and refuses others', () => {
    for (const c of ['gzip', 'zstd', 'none']) expect(otlphttpConfigSchema.parse({ endpoint: 'http://c', compression: c }).compression).toBe(c);
    expect(otlphttpConfigSchema.safeParse({ endpoint: 'http://c', compression: 'br' }).success).toBe(false);
  });

  it('treats every header value as a secret', () => {
    otlphttpConfigSchema.parse({ endpoint: 'http://c', headers: { 'x-api-key': 'hdr-secret-value-123' } });
    expect(redact('got hdr-secret-value-123 back')).toBe('got [REDACTED] back');
  });
});
