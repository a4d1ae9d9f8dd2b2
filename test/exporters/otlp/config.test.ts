import { describe, expect, it } from 'vitest';
import { grpcTarget, otlpConfigSchema } from '../../../src/exporters/otlp/config.js';
import { otlpExporterFactory } from '../../../src/exporters/otlp/factory.js';

const target = (raw: Record<string, unknown>) => grpcTarget(otlpConfigSchema.parse(raw));

describe('otlp (gRPC) exporter config', () => {
  it('is registered as otlp with the Collector alias otlp_grpc', () => {
    expect(otlpExporterFactory.type).toBe('otlp');
    expect(otlpExporterFactory.aliases).toContain('otlp_grpc');
  });

  it('defaults to gzip and a 5 s timeout like the Collector', () => {
    expect(otlpConfigSchema.parse({ endpoint: 'collector:4317' })).toMatchObject({ compression: 'gzip', timeout: 5_000, headers: {} });
  });

  it('uses TLS for host:port unless tls.insecure is set', () => {
    expect(target({ endpoint: 'collector:4317' })).toEqual({ address: 'collector:4317', plaintext: false });
    expect(target({ endpoint: 'collector:4317', tls: { insecure: true } })).toEqual({ address: 'collector:4317', plaintext: true });
  });

  it('takes the scheme of an http:// or https:// endpoint as the TLS choice', () => {
    expect(target({ endpoint: 'http://collector:4317' })).toEqual({ address: 'collector:4317', plaintext: true });
    expect(target({ endpoint: 'https://collector:4317' })).toEqual({ address: 'collector:4317', plaintext: false });
    expect(target({ endpoint: 'https://collector' })).toEqual({ address: 'collector:443', plaintext: false });
  });

  it('refuses endpoints it cannot dial, naming the key', () => {
    for (const endpoint of ['collector', 'http://collector:4317/v1/logs', ':4317', 'collector:99999']) {
      const r = otlpConfigSchema.safeParse({ endpoint });
      expect(r.success, endpoint).toBe(false);
      expect(r.error?.issues[0].path).toEqual(['endpoint']);
    }
    expect(otlpConfigSchema.safeParse({}).success).toBe(false);
  });

  it('refuses unknown keys and compressions it cannot do', () => {
    expect(otlpConfigSchema.safeParse({ endpoint: 'c:4317', encoding: 'json' }).success).toBe(false);
    expect(otlpConfigSchema.safeParse({ endpoint: 'c:4317', compression: 'snappy' }).success).toBe(false);
  });
});
