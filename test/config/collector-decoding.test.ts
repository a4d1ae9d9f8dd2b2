import { describe, expect, it } from 'vitest';
import { readConfigFiles } from '../../src/config/load.js';
import { validateConfig } from '../../src/config/validate.js';
import { defaultRegistry } from '../../src/registry.js';

/**
 * The Collector's decoding rules for values (confmap into Go structs), which real configs lean on:
 * a key with no value is its section with defaults; a scalar that reads as a number goes into a
 * string field as its text, including what an ${env:...} reference expanded to.
 */
const load = (yaml: string, env: NodeJS.ProcessEnv = {}) => validateConfig(readConfigFiles([`yaml:${yaml}`], env), defaultRegistry);

const base = (exporters: string) => `
receivers: { otlp: { protocols: { http: { endpoint: "127.0.0.1:0" } } } }
exporters: ${exporters}
service: { pipelines: { logs: { receivers: [otlp], exporters: [${/^\{\s*([\w/]+)/.exec(exporters)![1]}] } } }`;

describe("the Collector's decoding rules", () => {
  it('reads `rotation:` with no value as rotation with its defaults (opentelemetry.io agent example)', () => {
    const c = load(base('{ file: { path: /tmp/x.log, rotation: } }'));
    expect((c.exporters.get('file')!.config as { rotation?: object }).rotation).toBeDefined();
  });

  it('keeps an all-digit ${env:VAR} as the text it held in a string field, leading zeros included', () => {
    const c = load(
      `
receivers: { otlp: { protocols: { http: { endpoint: "127.0.0.1:0" } } } }
exporters:
  otlphttp:
    endpoint: http://127.0.0.1:9
    headers:
      x-api-key: \${env:API_KEY}
service: { pipelines: { logs: { receivers: [otlp], exporters: [otlphttp] } } }`,
      { API_KEY: '000123' },
    );
    expect((c.exporters.get('otlphttp')!.config as { headers: Record<string, string> }).headers['x-api-key']).toBe('000123');
  });

  it('still reads a whole ${env:PORT} as a number where the field is a number', () => {
    const c = load(base('{ otlphttp: { endpoint: "http://127.0.0.1:9", sending_queue: { queue_size: "${env:SIZE}" } } }'), { SIZE: '5_000' });
    expect((c.exporters.get('otlphttp')!.config as { sending_queue: { queue_size: number } }).sending_queue.queue_size).toBe(5000);
  });

  it('takes a literal number into a string field as its text (as yaml.v3 does)', () => {
    const c = load(base('{ otlphttp: { endpoint: "http://127.0.0.1:9", headers: { x-tenant: 2245 } } }'));
    expect((c.exporters.get('otlphttp')!.config as { headers: Record<string, string> }).headers['x-tenant']).toBe('2245');
  });
});
