import { describe, expect, it } from 'vitest';
import { IGNORED_PROTOCOL_KEYS, otlpReceiverSchema } from '../../../src/receivers/otlp/config.js';

const parse = (config: unknown) => otlpReceiverSchema.safeParse(config);

describe('otlp receiver config', () => {
  it('enables a protocol written with no value (YAML null) with the Collector defaults', () => {
    const r = parse({ protocols: { grpc: null, http: null } });
    expect(r.success).toBe(true);
    expect(r.data!.protocols.grpc).toMatchObject({ endpoint: { host: '0.0.0.0', port: 4317 }, max_recv_msg_size_mib: 4 });
    expect(r.data!.protocols.http).toMatchObject({
      endpoint: { host: '0.0.0.0', port: 4318 },
      max_request_body_size: 20 * 1024 * 1024,
      logs_url_path: '/v1/logs',
    });
  });

  it('leaves a protocol off when its key is absent', () => {
    const r = parse({ protocols: { http: {} } });
    expect(r.success).toBe(true);
    expect(r.data!.protocols.grpc).toBeUndefined();
  });

  it('refuses a receiver with no protocol at all', () => {
    for (const config of [{ protocols: {} }, {}]) {
      const r = parse(config);
      expect(r.success).toBe(false);
      expect(r.error!.issues[0]).toMatchObject({ path: ['protocols'], message: expect.stringMatching(/at least one protocol/) });
    }
  });

  it('reads endpoints, sizes with units, tls and auth', () => {
    const r = parse({
      protocols: {
        grpc: { endpoint: '127.0.0.1:0', max_recv_msg_size_mib: 16, auth: { authenticator: 'bearertokenauth' } },
        http: { endpoint: 'localhost:9999', max_request_body_size: '1MiB', logs_url_path: 'ingest/logs', tls: { cert_file: 'c.pem', key_file: 'k.pem' } },
      },
    });
    expect(r.success).toBe(true);
    expect(r.data!.protocols.grpc!.auth).toEqual({ authenticator: 'bearertokenauth' });
    expect(r.data!.protocols.http).toMatchObject({
      endpoint: { host: 'localhost', port: 9999 },
      max_request_body_size: 1024 * 1024,
      logs_url_path: '/ingest/logs',
      tls: { cert_file: 'c.pem', key_file: 'k.pem' },
    });
  });

  it('accepts the Collector keys that do not apply to a logs gateway, on both protocols', () => {
    const ignored = Object.fromEntries(IGNORED_PROTOCOL_KEYS.map((k) => [k, k === 'cors' ? { allowed_origins: ['*'] } : 'x']));
    expect(ignored).toHaveProperty('keepalive');
    const r = parse({ protocols: { grpc: { ...ignored }, http: { ...ignored } } });
    expect(r.success).toBe(true);
  });

  it('reads 0 for a size limit as the default, as the Collector does', () => {
    const r = parse({ protocols: { grpc: { max_recv_msg_size_mib: 0 }, http: { max_request_body_size: 0 } } });
    expect(r.data!.protocols.grpc!.max_recv_msg_size_mib).toBe(4);
    expect(r.data!.protocols.http!.max_request_body_size).toBe(20 * 1024 * 1024);
  });

  it('refuses an unknown key and names it', () => {
    const r = parse({ protocols: { http: { endpont: '0.0.0.0:4318' } } });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]).toMatchObject({ path: ['protocols', 'http'], keys: ['endpont'] });
  });

  it('refuses an unknown protocol', () => {
    expect(parse({ protocols: { grpc: null, websocket: null } }).success).toBe(false);
  });

  it('refuses an endpoint without a port', () => {
    expect(parse({ protocols: { grpc: { endpoint: 'localhost' } } }).success).toBe(false);
  });
});
