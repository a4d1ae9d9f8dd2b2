import { describe, expect, it } from 'vitest';
import { basicAuthExtensionFactory, isClientAuthenticator } from '../../../src/extensions/basicauth/factory.js';
import { redact } from '../../../src/telemetry/secrets.js';
import { settingsFor } from '../../exporters/helper/fixtures.js';

/** `basicauth`, client side: the header exporters send, and never the credentials in clear. */
describe('basicauth extension', () => {
  it('supplies Authorization: Basic for client_auth and registers both forms as secrets', () => {
    const config = basicAuthExtensionFactory.schema.parse({ client_auth: { username: 'elastic', password: 'basic-pw-998877' } });
    const ext = basicAuthExtensionFactory.create(settingsFor('basicauth'), config);
    expect(isClientAuthenticator(ext)).toBe(true);
    const encoded = Buffer.from('elastic:basic-pw-998877').toString('base64');
    expect((ext as unknown as { clientHeaders(): Record<string, string> }).clientHeaders()).toEqual({ Authorization: `Basic ${encoded}` });
    expect(redact(`echo: basic-pw-998877 Basic ${encoded}`)).toBe('echo: [REDACTED] Basic [REDACTED]');
  });

  it('refuses the server side (htpasswd) and a missing client_auth with clear messages', () => {
    const htpasswd = basicAuthExtensionFactory.schema.safeParse({ htpasswd: { inline: 'u:p' } });
    expect(htpasswd.success).toBe(false);
    expect(JSON.stringify(htpasswd.error?.issues)).toContain('not supported');
    expect(basicAuthExtensionFactory.schema.safeParse({}).success).toBe(false);
  });
});
