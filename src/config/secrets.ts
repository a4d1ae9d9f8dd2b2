import { SECRET_KEY_PATTERN, registerSecret } from '../telemetry/secrets.js';

/**
 * Registers every string under a secret-looking key (api_key, token, client_secret, ...) and every
 * header value, so the logger and error output scrub them wherever they surface.
 */
export function registerSecretsIn(value: unknown, key = '', underHeaders = false): void {
  if (typeof value === 'string') {
    if (underHeaders || SECRET_KEY_PATTERN.test(key)) registerSecret(value);
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
