import { z } from 'zod';
import { SECRET_KEY_PATTERN, registerSecret, registerUrlSecrets } from '../telemetry/secrets.js';

/**
 * Registers every string under a secret-looking key (api_key, token, client_secret, ...), every
 * header value, and the credentials inside every URL (userinfo, secret query keys), so the
 * logger and error output scrub them, in every form they travel in, wherever they surface.
 */
export function registerSecretsIn(value: unknown, key = '', underHeaders = false): void {
  if (typeof value === 'string') {
    if (underHeaders || SECRET_KEY_PATTERN.test(key)) registerSecret(value);
    registerUrlSecrets(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) registerSecretsIn(v, key, underHeaders);
    return;
  }
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) registerSecretsIn(v, k, underHeaders || k === 'headers');
  }
}

/**
 * A config string that is a secret: registered for redaction (with its derived forms) the moment
 * it is parsed, whatever its key is called, so a schema says what is secret instead of a key-name
 * pattern guessing it.
 */
export const secret = () =>
  z.string().transform((v) => {
    registerSecret(v);
    return v;
  });
