import { readFile } from 'node:fs/promises';
import { CredentialsError, type AwsCredentials } from './credentials.js';
import { signPost } from './sigv4.js';

/**
 * AWS STS (Query protocol, API version 2011-06-15): AssumeRoleWithWebIdentity (EKS IRSA, the web
 * identity token file) and AssumeRole (`role_arn`). Endpoint: AWS_ENDPOINT_URL_STS, else
 * AWS_ENDPOINT_URL (the SDKs' service endpoint overrides), else the regional endpoint.
 */

export const STS_VERSION = '2011-06-15';
/** A token endpoint that takes longer than this counts as unreachable (retryable). */
const STS_TIMEOUT_MS = 15_000;
/** STS error codes worth another try later (throttling, the identity provider briefly down). */
const RETRYABLE_STS_CODES = new Set(['Throttling', 'ThrottlingException', 'IDPCommunicationError', 'ServiceUnavailable', 'InternalFailure']);
/** Default session name: STS requires one; the SDKs generate a similar one. */
export const DEFAULT_SESSION_NAME = 'make-otel-gateway';

export function stsEndpoint(env: NodeJS.ProcessEnv, region: string | undefined): URL {
  const override = env.AWS_ENDPOINT_URL_STS || env.AWS_ENDPOINT_URL;
  if (override) return new URL(override);
  return new URL(region ? `https://sts.${region}.amazonaws.com/` : 'https://sts.amazonaws.com/');
}

/** The text of `<name>…</name>` in an STS XML answer (its fields hold no markup). */
function xmlField(xml: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml);
  return m ? m[1].replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'") : undefined;
}

async function callSts(url: URL, init: { headers: Record<string, string>; body: string }, action: string, fetchFn: typeof fetch = fetch): Promise<AwsCredentials> {
  let res: Response;
  try {
    res = await fetchFn(url, { method: 'POST', headers: init.headers, body: init.body, signal: AbortSignal.timeout(STS_TIMEOUT_MS) });
  } catch (err) {
    const e = err as { name?: string; cause?: { code?: string } };
    throw new CredentialsError(`STS ${action} failed: ${e?.name === 'TimeoutError' ? 'timed out' : (e?.cause?.code ?? 'network error')}`, true);
  }
  const xml = await res.text().catch(() => '');
  if (!res.ok) {
    const code = xmlField(xml, 'Code') ?? `HTTP ${res.status}`;
    // STS messages name the role and the token's issuer, never the token or a key.
    const message = (xmlField(xml, 'Message') ?? '').slice(0, 300);
    throw new CredentialsError(`STS ${action} failed: ${code}${message ? `: ${message}` : ''}`, res.status >= 500 || RETRYABLE_STS_CODES.has(code));
  }
  const accessKeyId = xmlField(xml, 'AccessKeyId');
  const secretAccessKey = xmlField(xml, 'SecretAccessKey');
  const sessionToken = xmlField(xml, 'SessionToken');
  const expiration = xmlField(xml, 'Expiration');
  if (!accessKeyId || !secretAccessKey || !sessionToken) throw new CredentialsError(`STS ${action} answered without credentials`, true);
  return { accessKeyId, secretAccessKey, sessionToken, expiration: expiration ? new Date(expiration) : undefined, source: `STS ${action}` };
}

export interface WebIdentityOptions {
  tokenFile: string;
  roleArn: string;
  sessionName?: string;
  env: NodeJS.ProcessEnv;
  region?: string;
  /** The exporter's HTTP client (its `tls` and `proxy_url`); the global fetch otherwise. */
  fetch?: typeof fetch;
}

/** The token file is read on every call: Kubernetes rotates it in place. */
export async function assumeRoleWithWebIdentity(o: WebIdentityOptions): Promise<AwsCredentials> {
  let token: string;
  try {
    token = (await readFile(o.tokenFile, 'utf8')).trim();
  } catch (err) {
    throw new CredentialsError(`cannot read web identity token file ${o.tokenFile}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, true);
  }
  const body = new URLSearchParams({
    Action: 'AssumeRoleWithWebIdentity',
    Version: STS_VERSION,
    RoleArn: o.roleArn,
    RoleSessionName: o.sessionName || DEFAULT_SESSION_NAME,
    WebIdentityToken: token,
  }).toString();
  // AssumeRoleWithWebIdentity is unsigned: the token is the proof.
  return callSts(stsEndpoint(o.env, o.region), { headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body }, 'AssumeRoleWithWebIdentity', o.fetch);
}

export interface AssumeRoleOptions {
  roleArn: string;
  sessionName?: string;
  externalId?: string;
  env: NodeJS.ProcessEnv;
  region?: string;
  /** The exporter's HTTP client (its `tls` and `proxy_url`); the global fetch otherwise. */
  fetch?: typeof fetch;
}

/** AssumeRole, signed with `base` (the credentials of the default chain). */
export async function assumeRole(base: AwsCredentials, o: AssumeRoleOptions): Promise<AwsCredentials> {
  const params: Record<string, string> = { Action: 'AssumeRole', Version: STS_VERSION, RoleArn: o.roleArn, RoleSessionName: o.sessionName || DEFAULT_SESSION_NAME };
  if (o.externalId) params.ExternalId = o.externalId;
  const body = new URLSearchParams(params).toString();
  const url = stsEndpoint(o.env, o.region);
  const signed = await signPost(url, { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body, base, o.region ?? 'us-east-1', 'sts');
  const { host: _host, ...headers } = signed.headers;
  const creds = await callSts(url, { headers, body }, 'AssumeRole', o.fetch);
  return { ...creds, source: `STS AssumeRole ${o.roleArn} (base: ${base.source})` };
}
