import { describe, expect, it } from 'vitest';
import { registerSecretsIn, secret } from '../../src/config/secrets.js';
import { redact, registerSecret, registerUrlSecrets } from '../../src/telemetry/secrets.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('secrets in every form they travel in', () => {
  it('scrubs the token after a scheme, not only the whole header value', () => {
    for (const scheme of ['Bearer', 'Basic', 'Token', 'ApiKey']) {
      const token = `tok-${scheme.toLowerCase()}-9f8e7d6c`;
      registerSecret(`${scheme} ${token}`);
      expect(redact(`backend said: invalid credential ${token}!`)).toBe('backend said: invalid credential [REDACTED]!');
    }
  });

  it('scrubs the decoded user:pass pair and the password of a Basic header', () => {
    registerSecret(`Basic ${b64('svc-user:hunter2-basic')}`);
    expect(redact('login svc-user:hunter2-basic failed')).not.toContain('hunter2-basic');
    expect(redact('password hunter2-basic rejected')).toBe('password [REDACTED] rejected');
  });

  it('scrubs URL userinfo: the pair, the password (raw and percent-decoded) and base64 of the pair', () => {
    registerUrlSecrets('https://alice:s3cr%40t-pw@logs.example.com:8443/v1');
    for (const leaked of ['alice:s3cr%40t-pw', 's3cr%40t-pw', 's3cr@t-pw', 'alice:s3cr@t-pw', b64('alice:s3cr@t-pw'), b64('alice:s3cr%40t-pw')]) {
      expect(redact(`upstream echoed ${leaked} back`)).toBe('upstream echoed [REDACTED] back');
    }
    expect(redact(`Authorization: Basic ${b64('alice:s3cr@t-pw')}`)).not.toContain(b64('alice:s3cr@t-pw'));
  });

  it('scrubs the values of secret query-string keys, raw and encoded', () => {
    registerUrlSecrets('https://ingest.example.com/logs?sig=abc%2Bdef%3D&api_key=qk-123456&region=eu');
    expect(redact('rejected sig abc+def= and key qk-123456')).toBe('rejected sig [REDACTED] and key [REDACTED]');
    expect(redact('region eu stays')).toBe('region eu stays');
  });

  it('hides userinfo of any URL in text, registered or not', () => {
    expect(redact('connect to http://bob:never-registered@10.0.0.1:4318/v1/logs failed')).toBe('connect to http://[REDACTED]@10.0.0.1:4318/v1/logs failed');
  });

  it('registers from config: header values with their scheme token, URLs with credentials', () => {
    registerSecretsIn({ exporters: { otlphttp: { endpoint: 'http://cfg-user:cfg-pass-77@127.0.0.1:1', headers: { authorization: 'Bearer cfg-token-55aa' } } } });
    expect(redact('cfg-token-55aa cfg-pass-77')).toBe('[REDACTED] [REDACTED]');
    expect(redact(b64('cfg-user:cfg-pass-77'))).toBe('[REDACTED]');
  });

  it('secret() registers a value whatever its key is called', () => {
    expect(secret().parse('zz-unusual-key-value')).toBe('zz-unusual-key-value');
    expect(redact('got zz-unusual-key-value')).toBe('got [REDACTED]');
  });

  it('replaces a secret that contains another one whole', () => {
    registerSecret('abcd');
    registerSecret('xxabcdyy-long');
    expect(redact('xxabcdyy-long')).toBe('[REDACTED]');
  });
});
