import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { validateConfig } from '../../src/config/validate.js';
import { ConfigError } from '../../src/errors.js';
import { defaultRegistry } from '../../src/registry.js';
import { testRegistry } from './fixtures.js';

function validate(yaml: string) {
  return validateConfig(parseConfigText(yaml, 'test.yaml'), testRegistry);
}

function errorsOf(yaml: string): string[] {
  try {
    validate(yaml);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues;
  }
  throw new Error('expected the config to be refused');
}

const GOOD = `
receivers:
  otlp:
    protocols:
      http:
processors:
  batch:
    timeout: 1s
exporters:
  otlphttp/backend:
    endpoint: http://127.0.0.1:4318
  debug:
extensions:
  health_check:
service:
  extensions: [health_check]
  pipelines:
    logs:
      receivers: [otlp]
      processors: [batch]
      exporters: [otlphttp/backend, debug]
    logs/raw:
      receivers: [otlp]
      exporters: [debug]
`;

describe('config validation', () => {
  it('accepts a Collector-style config with named components and named pipelines', () => {
    const cfg = validate(GOOD);
    expect(cfg.service.pipelines.map((p) => p.id)).toEqual(['logs', 'logs/raw']);
    expect(cfg.exporters.get('otlphttp/backend')?.type).toBe('otlphttp');
    expect(cfg.processors.get('batch')?.config).toEqual({ timeout: 1000, send_batch_size: 8192 });
    expect(Object.isFrozen(cfg.service.pipelines)).toBe(true);
  });

  it('accepts a type alias as the component type', () => {
    const cfg = validate(GOOD.replace('otlphttp/backend:', 'otlp_http/backend:').replace('[otlphttp/backend, debug]', '[otlp_http/backend, debug]'));
    expect(cfg.exporters.get('otlp_http/backend')?.type).toBe('otlphttp');
  });

  it('names the path of an unknown key and suggests the right one', () => {
    expect(errorsOf(GOOD.replace('endpoint: http://127.0.0.1:4318', 'endpont: http://127.0.0.1:4318'))).toEqual([
      'exporters.otlphttp/backend.endpont: unknown key (did you mean "endpoint"?)',
      'exporters.otlphttp/backend.endpoint: required (expected string)',
    ]);
  });

  it('shows the offending value of a present key and never calls it required ("expected a number, got string \\"5_000\\"")', () => {
    let errors: string[] = [];
    try {
      validateConfig(
        parseConfigText(
          `
receivers: { otlp: { protocols: { http: { endpoint: "127.0.0.1:4318", max_request_body_size: true } } } }
processors: { batch: { send_batch_size: -1 } }
exporters:
  otlphttp:
    endpoint: http://127.0.0.1:9
    sending_queue: { queue_size: "5_000", num_consumers: [1], wait_for_result: true }
    compression: brotli
    headers: [a, b]
    max_idle_conns: 10
    idle_conn_timeout: 90s
    disable_keep_alives: false
service: { pipelines: { logs: { receivers: [otlp], processors: [batch], exporters: [otlphttp] } } }
`,
          'test.yaml',
        ),
        defaultRegistry,
      );
    } catch (err) {
      errors = (err as ConfigError).issues;
    }
    expect(errors).toContain('exporters.otlphttp.sending_queue.queue_size: expected a number, got string "5_000"');
    expect(errors).toContain('exporters.otlphttp.sending_queue.num_consumers: expected a number, got a list');
    expect(errors.find((e) => e.startsWith('exporters.otlphttp.compression:'))).toMatch(/^exporters\.otlphttp\.compression: expected one of "gzip", .*, got string "brotli"$/);
    expect(errors).toContain('receivers.otlp.protocols.http.max_request_body_size: expected a string or a number, got boolean true');
    expect(errors).toContain('processors.batch.send_batch_size: expected a number ≥ 0, got number -1');
    expect(errors).toContain('exporters.otlphttp.headers: expected a map, got a list');
    expect(errors.find((e) => e.startsWith('exporters.otlphttp.sending_queue.wait_for_result:'))).toMatch(/true is not supported: clients are answered when the queue holds their request; set storage: file_storage .* \(got boolean true\)$/);
    expect(errors.join('\n')).not.toMatch(/max_idle_conns|idle_conn_timeout|disable_keep_alives/);
    expect(errors.join('\n')).not.toMatch(/required/);
  });

  it('reads a bare integer duration as nanoseconds, as the Collector does', () => {
    const cfg = validate(GOOD.replace('timeout: 1s', 'timeout: 2_000_000_000'));
    expect((cfg.processors.get('batch')!.config as { timeout: number }).timeout).toBe(2000);
  });

  it('reads Go duration syntax: fractions without a leading digit, µs, compound units', () => {
    const timeoutOf = (text: string) => (validate(GOOD.replace('timeout: 1s', `timeout: ${text}`)).processors.get('batch')!.config as { timeout: number }).timeout;
    expect(timeoutOf('.5s')).toBe(500);
    expect(timeoutOf('1m30s')).toBe(90_000);
    expect(timeoutOf('1500µs')).toBe(1.5);
  });

  it('refuses a negative or fractional bare number as a duration, naming key, value and expectation', () => {
    expect(errorsOf(GOOD.replace('timeout: 1s', 'timeout: -5'))).toEqual(['processors.batch.timeout: expected a duration like "5s", got -5']);
    expect(errorsOf(GOOD.replace('timeout: 1s', 'timeout: 1.5'))).toEqual(['processors.batch.timeout: expected a duration like "5s", got 1.5']);
  });

  it('refuses a malformed size', () => {
    const errs = errorsOf(GOOD.replace('endpoint: http://127.0.0.1:4318', 'endpoint: http://x\n    max_size: lots'));
    expect(errs).toEqual(['exporters.otlphttp/backend.max_size: expected a size in bytes like 4194304 or "4MiB", got "lots"']);
  });

  it('refuses an unknown component type and lists the known ones', () => {
    expect(errorsOf(GOOD.replace('  debug:\nextensions', '  debug:\n  frobnicator:\nextensions'))).toEqual([
      'exporters.frobnicator: unknown exporter type "frobnicator" (known: debug, otlp_http, otlphttp)',
    ]);
  });

  it('refuses a pipeline that uses a component nobody defined', () => {
    expect(errorsOf(GOOD.replace('exporters: [debug]', 'exporters: [debug, otlphttp/missing]'))).toEqual([
      'service.pipelines.logs/raw.exporters[1]: exporter "otlphttp/missing" is not defined under exporters',
    ]);
  });

  it('refuses an extension listed in service but not defined', () => {
    expect(errorsOf(GOOD.replace('extensions: [health_check]', 'extensions: [health_check, file_storage]'))).toEqual([
      'service.extensions[1]: extension "file_storage" is not defined under extensions',
    ]);
  });

  it('refuses an unknown pipeline type with a clear message', () => {
    expect(errorsOf(GOOD.replace('    logs/raw:', '    profiles:'))).toEqual([
      'service.pipelines.profiles: unknown pipeline type "profiles" (expected logs, traces or metrics, or one of them + "/<name>"; see docs/compatibility.md)',
    ]);
  });

  it('refuses a component on a traces pipeline that does not support traces, naming it and the signal', () => {
    const errors = errorsOf(GOOD.replace('    logs/raw:', '    traces:'));
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) expect(e).toMatch(/^service\.pipelines\.traces\.\w+\[\d+\]: \w+ "[^"]+" is not supported for traces/);
  });

  it('refuses a pipeline without exporters and a missing service section', () => {
    expect(errorsOf(GOOD.replace('      exporters: [debug]\n', ''))).toEqual(['service.pipelines.logs/raw.exporters: required (expected list)']);
    expect(errorsOf('receivers: {}')).toEqual(['service: required (with service.pipelines)']);
  });

  it('reports every problem at once', () => {
    const errs = errorsOf(GOOD.replace('timeout: 1s', 'timeout: soon').replace('verbosity', 'x').replace('  debug:\nextensions', '  debug:\n    verbosty: detailed\nextensions'));
    expect(errs).toHaveLength(2);
    expect(errs[0]).toMatch(/^processors\.batch\.timeout: expected a duration/);
    expect(errs[1]).toBe('exporters.debug.verbosty: unknown key (did you mean "verbosity"?)');
  });

  it('refuses unknown top-level keys', () => {
    expect(errorsOf(GOOD + '\nrecievers: {}\n')).toEqual(['recievers: unknown key (expected receivers, processors, exporters, extensions, connectors, service)']);
  });
});
