import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { validateConfig } from '../../src/config/validate.js';
import { ConfigError } from '../../src/errors.js';
import { defaultRegistry } from '../../src/registry.js';

/** `validate` is as strict as start: what would fail the start fails validation, all at once. */
function errorsOf(yaml: string): string[] {
  try {
    validateConfig(parseConfigText(yaml, 'strict.yaml'), defaultRegistry);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues;
  }
  return [];
}

const PIPELINE = `
service:
  extensions: [EXT]
  pipelines: { logs: { receivers: [otlp], exporters: [otlphttp] } }
  telemetry: { metrics: { level: none } }
`;

describe('validate checks what start would', () => {
  it('reports every bad extension reference with its key path, in one report', () => {
    const errors = errorsOf(`
extensions:
  health_check: { endpoint: 127.0.0.1:0 }
  file_storage: { directory: /tmp }
  bearertokenauth: { token: a-long-token }
receivers:
  otlp: { protocols: { http: { endpoint: 127.0.0.1:0, auth: { authenticator: health_check } } } }
exporters:
  otlphttp:
    endpoint: http://127.0.0.1:9
    sending_queue: { storage: file_storage/missing }
    auth: { authenticator: bearertokenauth }
${PIPELINE.replace('EXT', 'health_check, bearertokenauth')}`);
    expect(errors).toEqual([
      'receivers.otlp.protocols.http.auth.authenticator: extension "health_check" is not an authenticator for incoming requests (bearertokenauth, basicauth with htpasswd)',
      'exporters.otlphttp.sending_queue.storage: extension "file_storage/missing" is not defined under extensions',
    ]);
  });

  it('refuses a storage extension that is defined but not listed in service.extensions', () => {
    const errors = errorsOf(`
extensions:
  file_storage: { directory: /tmp }
  health_check: { endpoint: 127.0.0.1:0 }
receivers: { otlp: { protocols: { http: { endpoint: 127.0.0.1:0 } } } }
exporters: { otlphttp: { endpoint: http://127.0.0.1:9, sending_queue: { storage: file_storage } } }
${PIPELINE.replace('EXT', 'health_check')}`);
    expect(errors).toEqual(['exporters.otlphttp.sending_queue.storage: extension "file_storage" is not listed in service.extensions (add it there so it starts)']);
  });

  it('refuses two storage extensions on one directory, naming both', () => {
    const errors = errorsOf(`
extensions:
  file_storage: { directory: /tmp/gw-queue }
  file_storage/other: { directory: /tmp/gw-queue/ }
receivers: { otlp: { protocols: { http: { endpoint: 127.0.0.1:0 } } } }
exporters: { otlphttp: { endpoint: http://127.0.0.1:9, sending_queue: { storage: file_storage } } }
${PIPELINE.replace('EXT', 'file_storage, file_storage/other')}`);
    expect(errors).toEqual(['extensions.file_storage/other.directory: /tmp/gw-queue is already the directory of extensions.file_storage; give each storage extension its own directory']);
  });

  it('refuses two listeners on one port, and unreadable TLS files', () => {
    const errors = errorsOf(`
extensions:
  health_check: { endpoint: 0.0.0.0:24318 }
receivers:
  otlp:
    protocols:
      http: { endpoint: 127.0.0.1:24318, tls: { cert_file: /nonexistent/cert.pem, key_file: /nonexistent/key.pem } }
exporters: { otlphttp: { endpoint: http://127.0.0.1:24318 } }
${PIPELINE.replace('EXT', 'health_check')}`);
    expect(errors).toEqual([
      'extensions.health_check.endpoint: port 24318 is already used by receivers.otlp.protocols.http.endpoint',
      'receivers.otlp.protocols.http.tls.cert_file: cannot read "/nonexistent/cert.pem" (ENOENT)',
      'receivers.otlp.protocols.http.tls.key_file: cannot read "/nonexistent/key.pem" (ENOENT)',
    ]);
  });

  it('leaves alone what no pipeline uses', () => {
    expect(
      errorsOf(`
receivers: { otlp: { protocols: { http: { endpoint: 127.0.0.1:0 } } } }
exporters:
  otlphttp: { endpoint: http://127.0.0.1:9 }
  otlphttp/unused: { endpoint: http://127.0.0.1:9, sending_queue: { storage: nowhere } }
${PIPELINE.replace('EXT', '')}`),
    ).toEqual([]);
  });
});
