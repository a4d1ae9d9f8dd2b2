import { describe, expect, it } from 'vitest';
import { newrelicConfigSchema, newrelicLogsUrl } from '../../../src/exporters/newrelic/config.js';
import { newrelicExporterFactory } from '../../../src/exporters/newrelic/factory.js';
import { redact } from '../../../src/telemetry/secrets.js';

describe('New Relic exporter config', () => {
  it('defaults to the US region, gzip and the otlphttp timeout', () => {
    const config = newrelicConfigSchema.parse({ api_key: 'nr-key-1234' });
    expect(config).toMatchObject({ region: 'us', compression: 'gzip', timeout: 30_000 });
    expect(config.sending_queue.enabled).toBe(true);
    expect(newrelicLogsUrl(config)).toBe('https://otlp.nr-data.net/v1/logs');
  });

  it.each([
    ['us', 'https://otlp.nr-data.net/v1/logs'],
    ['eu', 'https://otlp.eu01.nr-data.net/v1/logs'],
    ['fedramp', 'https://gov-otlp.nr-data.net/v1/logs'],
  ])('sends region %s to %s', (region, url) => {
    expect(newrelicLogsUrl(newrelicConfigSchema.parse({ api_key: 'nr-key-1234', region }))).toBe(url);
  });

  it('treats endpoint as a base URL that overrides the region, appending /v1/logs', () => {
    const config = newrelicConfigSchema.parse({ api_key: 'nr-key-1234', region: 'eu', endpoint: 'https://otlp.nr-data.net:4318/' });
    expect(newrelicLogsUrl(config)).toBe('https://otlp.nr-data.net:4318/v1/logs');
  });

  it('refuses a missing key, an unknown region, an unknown compression and unknown keys, naming the key', () => {
    const paths = (input: unknown) => {
      const r = newrelicConfigSchema.safeParse(input);
      return r.success ? [] : r.error.issues.map((i) => i.path.join('.') || i.code);
    };
    expect(paths({})).toEqual(['api_key']);
    expect(paths({ api_key: 'nr-key-1234', region: 'jp' })).toEqual(['region']);
    expect(paths({ api_key: 'nr-key-1234', compression: 'zstd' })).toEqual(['compression']);
    expect(paths({ api_key: 'nr-key-1234', headers: {} })).toEqual(['unrecognized_keys']);
  });

  it('registers the license key as a secret when the config is parsed', () => {
    newrelicConfigSchema.parse({ api_key: 'nr-parsed-secret-55' });
    expect(redact('api-key: nr-parsed-secret-55')).toBe('api-key: [REDACTED]');
  });

  it('is registered under the type name newrelic', () => {
    expect(newrelicExporterFactory).toMatchObject({ kind: 'exporter', type: 'newrelic' });
  });
});
