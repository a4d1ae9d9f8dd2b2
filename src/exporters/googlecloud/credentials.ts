import { readFile } from 'node:fs/promises';
import { SignJWT, importPKCS8 } from 'jose';
import { GatewayError } from '../../errors.js';
import { redact, registerSecret } from '../../telemetry/secrets.js';
import { requestToken, TokenError, type AccessToken } from '../helper/token-cache.js';

/**
 * Where Google access tokens come from, in the order Google's client libraries look:
 * an explicit service-account key file, GOOGLE_APPLICATION_CREDENTIALS, then the GCE metadata
 * server (GKE, Cloud Run, Compute Engine).
 */

export const LOGGING_WRITE_SCOPE = 'https://www.googleapis.com/auth/logging.write';
export const DEFAULT_TOKEN_URI = 'https://oauth2.googleapis.com/token';
const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** Google refuses assertions valid for more than an hour. */
const ASSERTION_LIFETIME_S = 3600;
/** PEM body lines are 64 characters; shorter ones (the last line) are still key material but may be tiny. */
const MIN_PEM_LINE_TO_REDACT = 16;
/** Host of the metadata server; GCE_METADATA_HOST overrides it as in Google's own libraries. */
const DEFAULT_METADATA_HOST = 'metadata.google.internal';

export interface GoogleCredentials {
  /** Human description for logs (no secret): "service account x@y" or "GCE metadata server". */
  readonly description: string;
  /** project_id of the key file, if any. */
  readonly projectId?: string;
  fetchToken(): Promise<AccessToken>;
  /** The project the credentials belong to, when it can be discovered (metadata server). */
  discoverProject?(): Promise<string>;
}

interface ServiceAccountKey {
  type?: string;
  client_email?: string;
  private_key?: string;
  private_key_id?: string;
  token_uri?: string;
  project_id?: string;
}

/** Load credentials: `credentialsFile`, else GOOGLE_APPLICATION_CREDENTIALS, else metadata. */
/** `fetchFn` reaches the OAuth token endpoint (the exporter's HTTP client: its `tls` and `proxy_url`). */
export async function loadGoogleCredentials(credentialsFile: string | undefined, env: NodeJS.ProcessEnv, fetchFn: typeof fetch = fetch): Promise<GoogleCredentials> {
  const file = credentialsFile ?? (env.GOOGLE_APPLICATION_CREDENTIALS || undefined);
  if (file) return serviceAccountCredentials(await readKeyFile(file), file, fetchFn);
  return metadataCredentials(metadataBaseUrl(env));
}

async function readKeyFile(file: string): Promise<ServiceAccountKey> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new GatewayError('COMPONENT_START_FAILED', `googlecloud: cannot read credentials file ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  try {
    return JSON.parse(text) as ServiceAccountKey;
  } catch {
    // Never echo the content: it is a private key.
    throw new GatewayError('COMPONENT_START_FAILED', `googlecloud: credentials file ${file} is not valid JSON`);
  }
}

async function serviceAccountCredentials(key: ServiceAccountKey, file: string, fetchFn: typeof fetch): Promise<GoogleCredentials> {
  if (key.type !== undefined && key.type !== 'service_account') {
    throw new GatewayError('COMPONENT_START_FAILED', `googlecloud: credentials file ${file} has type "${key.type}"; only service_account keys are supported`);
  }
  if (!key.client_email || !key.private_key) {
    throw new GatewayError('COMPONENT_START_FAILED', `googlecloud: credentials file ${file} lacks client_email or private_key`);
  }
  registerSecret(key.private_key);
  // A log line would more likely hold a fragment of the PEM than all of it.
  for (const line of key.private_key.split(/\r?\n/)) if (line.length >= MIN_PEM_LINE_TO_REDACT && !line.startsWith('-----')) registerSecret(line);
  const privateKey = await importPKCS8(key.private_key, 'RS256').catch(() => {
    throw new GatewayError('COMPONENT_START_FAILED', `googlecloud: private_key in ${file} is not a PKCS#8 PEM RSA key`);
  });
  const email = key.client_email;
  const tokenUri = key.token_uri || DEFAULT_TOKEN_URI;
  return {
    description: `service account ${email}`,
    projectId: key.project_id,
    async fetchToken() {
      const iat = Math.floor(Date.now() / 1000);
      const assertion = await new SignJWT({ scope: LOGGING_WRITE_SCOPE })
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', ...(key.private_key_id ? { kid: key.private_key_id } : {}) })
        .setIssuer(email)
        .setAudience(tokenUri)
        .setIssuedAt(iat)
        .setExpirationTime(iat + ASSERTION_LIFETIME_S)
        .sign(privateKey);
      return requestToken('Google OAuth', tokenUri, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion }).toString(),
      }, redact, fetchFn);
    },
  };
}

/** `http://<GCE_METADATA_HOST or metadata.google.internal>`. */
export function metadataBaseUrl(env: NodeJS.ProcessEnv): string {
  return `http://${env.GCE_METADATA_HOST || DEFAULT_METADATA_HOST}`;
}

function metadataCredentials(base: string): GoogleCredentials {
  const headers = { 'Metadata-Flavor': 'Google' };
  return {
    description: 'GCE metadata server',
    async fetchToken() {
      return requestToken('GCE metadata', `${base}/computeMetadata/v1/instance/service-accounts/default/token`, { headers });
    },
    async discoverProject() {
      let res: Response;
      try {
        res = await fetch(`${base}/computeMetadata/v1/project/project-id`, { headers, signal: AbortSignal.timeout(5_000) });
      } catch {
        throw new TokenError({ kind: 'retryable', reason: 'googlecloud: no project configured and the GCE metadata server is unreachable' });
      }
      const text = (await res.text()).trim();
      if (!res.ok || !text) throw new TokenError({ kind: 'retryable', reason: `googlecloud: metadata server did not return a project id (HTTP ${res.status})` });
      return text;
    },
  };
}
