import { redact, registerSecret } from '../../telemetry/secrets.js';
import { requestToken, type AccessToken } from '../helper/token-cache.js';
import type { AzureLogsIngestionConfig } from './config.js';

/** Azure Monitor's resource scope; the double slash is what Microsoft documents for this audience. */
export const MONITOR_SCOPE = 'https://monitor.azure.com//.default';

/**
 * Microsoft Entra ID client-credentials grant (an app registration with a client secret).
 * Entra's error descriptions never echo the secret, but the reason is scrubbed anyway: it ends up
 * in logs and in the dead-letter store. `fetchFn`: the exporter's HTTP client (its `tls` and `proxy_url`).
 */
export function entraTokenSource(config: Pick<AzureLogsIngestionConfig, 'authority_host' | 'tenant_id' | 'client_id' | 'client_secret'>, fetchFn: typeof fetch = fetch): () => Promise<AccessToken> {
  registerSecret(config.client_secret);
  const url = `${config.authority_host}/${encodeURIComponent(config.tenant_id)}/oauth2/v2.0/token`;
  const scrub = (text: string) => redact(text).split(config.client_secret).join('[REDACTED]');
  return async () => {
    return requestToken('Entra ID', url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: config.client_id,
        client_secret: config.client_secret,
        grant_type: 'client_credentials',
        scope: MONITOR_SCOPE,
      }).toString(),
    }, scrub, fetchFn);
  };
}
