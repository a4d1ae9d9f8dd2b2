import { describe, expect, it } from 'vitest';
import { datadogConfigSchema, datadogLogsUrl, DEFAULT_SITE, KNOWN_SITES } from '../../../src/exporters/datadog/config.js';
import { datadogExporterFactory } from '../../../src/exporters/datadog/factory.js';
import { redact } from '../../../src/telemetry/secrets.js';

describe('Datadog exporter config', () => {
  it('takes a Collector datadog exporter block and fills the Collector defaults', () => {
    const config = datadogConfigSchema.parse({ api: { key: 'k-123456' } });
    expect(config.api.site).toBe(DEFAULT_SITE);
    expect(config.logs).toMatchObject({ use_compression: true, compression_level: 6, source: 'otlp_log_ingestion' });
    expect(config.timeout).toBe(15_000);
    expect(config.sending_queue.enabled).toBe(true);
    expect(config.retry_on_failure.enabled).toBe(true);
    expect(datadogLogsUrl(config)).toBe('https://http-intake.logs.datadoghq.com/api/v2/logs');
  });

  it.each(KNOWN_SITES.map((s) => [s]))('sends to the logs intake of site %s', (site) => {
    const config = datadogConfigSchema.parse({ api: { key: 'k-123456', site } });
    expect(datadogLogsUrl(config)).toBe(`https://http-intake.logs.${site}/api/v2/logs`);
  });

  it('treats logs.endpoint as a base URL and appends the API path', () => {
    const config = datadogConfigSchema.parse({ api: { key: 'k-123456', site: 'datadoghq.eu' }, logs: { endpoint: 'http://proxy.internal:8080/' } });
    expect(datadogLogsUrl(config)).toBe('http://proxy.internal:8080/api/v2/logs');
  });

  it('refuses a missing key, an unknown key and a malformed site, naming the key path', () => {
    const paths = (input: unknown) => {
      const r = datadogConfigSchema.safeParse(input);
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.code}`);
    };
    expect(paths({ api: {} })).toEqual(['api.key: invalid_type']);
    expect(paths({ api: { key: 'k-123456' }, logs: { endpont: 'x' } })).toEqual(['logs: unrecognized_keys']);
    expect(paths({ api: { key: 'k-123456', site: 'https://datadoghq.com' } })).toEqual(['api.site: invalid_format']);
  });

  it('accepts the Collector keys this gateway does not act on, so Collector configs run unchanged', () => {
    const config = datadogConfigSchema.parse({ api: { key: 'k-123456', fail_on_invalid_key: true }, logs: { batch_wait: '5s' }, hostname: 'h', tags: ['a:b'] });
    expect(config.logs.batch_wait).toBe(5_000);
  });

  it('registers the API key as a secret when the config is parsed', () => {
    datadogConfigSchema.parse({ api: { key: 'dd-parsed-secret-77' } });
    expect(redact('key=dd-parsed-secret-77')).toBe('key=[REDACTED]');
  });

  it('is registered under the type name datadog', () => {
    expect(datadogExporterFactory).toMatchObject({ kind: 'exporter', type: 'datadog' });
  });
});
