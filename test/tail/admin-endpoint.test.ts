import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GatewayConfig } from '../../src/config/validate.js';
import { adminEndpointOf } from '../../src/tail/admin-endpoint.js';

function config(extensions: Record<string, unknown>): GatewayConfig {
  const map = new Map(Object.entries(extensions).map(([id, c]) => [id, { factory: undefined as never, config: c }]));
  return { extensions: map, service: { extensions: [...map.keys()] } } as unknown as GatewayConfig;
}

describe('the tail CLI finds the admin API in the config', () => {
  it('uses the default endpoint and no credentials without auth', () => {
    expect(adminEndpointOf(config({ admin: {} }))).toEqual({ baseUrl: 'http://localhost:55679', headers: {} });
  });

  it('reaches a wildcard endpoint on loopback, over https when tls is set, with the bearer token', () => {
    const e = adminEndpointOf(config({ 'admin/ops': { endpoint: { host: '0.0.0.0', port: 9000 }, tls: { cert_file: 'c', key_file: 'k', ca_file: '/ca.pem' }, auth: { authenticator: 'bearertokenauth/admin' } }, 'bearertokenauth/admin': { scheme: 'Bearer', header: 'Authorization', token: 's3cret' } }));
    expect(e).toEqual({ baseUrl: 'https://127.0.0.1:9000', headers: { Authorization: 'Bearer s3cret' }, caFile: '/ca.pem' });
  });

  it('reads the token from the authenticator file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mog-tail-'));
    writeFileSync(join(dir, 'token'), 'from-file\nsecond\n');
    const e = adminEndpointOf(config({ admin: { endpoint: '127.0.0.1:1234', auth: { authenticator: 'bearertokenauth' } }, bearertokenauth: { filename: join(dir, 'token') } }));
    expect(e.headers).toEqual({ Authorization: 'Bearer from-file' });
  });

  it('says what to add when there is no admin extension', () => {
    expect(() => adminEndpointOf(config({ health_check: {} }))).toThrow(/no admin extension/);
  });
});
