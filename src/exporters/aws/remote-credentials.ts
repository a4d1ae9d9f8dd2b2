import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { CredentialsError, type AwsCredentials } from './credentials.js';

/**
 * Credentials from the platform: the ECS/EKS Pod Identity container endpoint
 * (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI) and the EC2 instance metadata service,
 * IMDSv2 only (a session token from PUT, then GETs carrying it), as the AWS SDKs do.
 */

/** The ECS agent's fixed address for RELATIVE_URI. */
export const ECS_CONTAINER_HOST = 'http://169.254.170.2';
export const IMDS_DEFAULT_ENDPOINT = 'http://169.254.169.254';
/** The SDKs' IMDS timeout: off EC2 the address does not answer, and the chain must not hang on it. */
const IMDS_TIMEOUT_MS = 1_000;
const ECS_TIMEOUT_MS = 5_000;
/** IMDSv2 session lifetime the SDKs ask for (6 h). */
const IMDS_TOKEN_TTL_SECONDS = 21_600;
const IMDS_CREDENTIALS_PATH = '/latest/meta-data/iam/security-credentials/';

interface RemoteCredentialsJson {
  Code?: string;
  AccessKeyId?: string;
  SecretAccessKey?: string;
  Token?: string;
  Expiration?: string;
}

function toCredentials(json: RemoteCredentialsJson, source: string): AwsCredentials {
  if (json.Code !== undefined && json.Code !== 'Success') throw new CredentialsError(`${source} answered Code ${json.Code}`, true);
  if (!json.AccessKeyId || !json.SecretAccessKey) throw new CredentialsError(`${source} answered without credentials`, true);
  return {
    accessKeyId: json.AccessKeyId,
    secretAccessKey: json.SecretAccessKey,
    sessionToken: json.Token || undefined,
    expiration: json.Expiration ? new Date(json.Expiration) : undefined,
    source,
  };
}

async function request(url: string, init: RequestInit, timeoutMs: number, what: string): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const e = err as { name?: string; cause?: { code?: string } };
    throw new CredentialsError(`${what} unreachable: ${e?.name === 'TimeoutError' ? 'timed out' : (e?.cause?.code ?? 'network error')}`, true);
  }
}

/** FULL_URI hosts the SDKs accept over plain http: the ECS and EKS agents' addresses and loopback. */
function allowedFullUri(url: URL): boolean {
  if (url.protocol === 'https:') return true;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host === '169.254.170.2' || host === '169.254.170.23' || host === 'fd00:ec2::23' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/** The container endpoint's URL, or undefined when neither variable is set. */
export function containerCredentialsUrl(env: NodeJS.ProcessEnv, relativeBase = ECS_CONTAINER_HOST): URL | undefined {
  if (env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI) return new URL(env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, relativeBase);
  if (!env.AWS_CONTAINER_CREDENTIALS_FULL_URI) return undefined;
  let url: URL;
  try {
    url = new URL(env.AWS_CONTAINER_CREDENTIALS_FULL_URI);
  } catch {
    throw new CredentialsError('AWS_CONTAINER_CREDENTIALS_FULL_URI is not a URL', false);
  }
  if (!allowedFullUri(url)) throw new CredentialsError(`AWS_CONTAINER_CREDENTIALS_FULL_URI host ${url.hostname} is not allowed over http (only https, loopback and the ECS/EKS agent addresses)`, false);
  return url;
}

export async function containerCredentials(url: URL, env: NodeJS.ProcessEnv): Promise<AwsCredentials> {
  const headers: Record<string, string> = {};
  // The token file is read on every call: EKS Pod Identity rotates it.
  if (env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE) {
    try {
      headers.Authorization = (await readFile(env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, 'utf8')).trim();
    } catch (err) {
      throw new CredentialsError(`cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, true);
    }
  } else if (env.AWS_CONTAINER_AUTHORIZATION_TOKEN) headers.Authorization = env.AWS_CONTAINER_AUTHORIZATION_TOKEN;
  const res = await request(url.href, { headers }, ECS_TIMEOUT_MS, 'container credentials endpoint');
  const text = await res.text().catch(() => '');
  if (!res.ok) throw new CredentialsError(`container credentials endpoint answered HTTP ${res.status}`, res.status === 429 || res.status >= 500);
  return toCredentials(parseJson(text, 'container credentials endpoint'), 'container credentials endpoint');
}

function parseJson(text: string, what: string): RemoteCredentialsJson {
  try {
    return JSON.parse(text) as RemoteCredentialsJson;
  } catch {
    throw new CredentialsError(`${what} answered something that is not JSON`, true);
  }
}

export function imdsEndpoint(env: NodeJS.ProcessEnv): string | undefined {
  if ((env.AWS_EC2_METADATA_DISABLED ?? '').toLowerCase() === 'true') return undefined;
  return (env.AWS_EC2_METADATA_SERVICE_ENDPOINT || IMDS_DEFAULT_ENDPOINT).replace(/\/+$/, '');
}

/** IMDSv2: PUT for a session token, GET the role name, GET that role's credentials. */
export async function imdsCredentials(endpoint: string): Promise<AwsCredentials> {
  const tokenRes = await request(`${endpoint}/latest/api/token`, { method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': String(IMDS_TOKEN_TTL_SECONDS) } }, IMDS_TIMEOUT_MS, 'EC2 instance metadata');
  if (!tokenRes.ok) {
    await tokenRes.body?.cancel();
    throw new CredentialsError(`EC2 instance metadata refused a session token: HTTP ${tokenRes.status}`, true);
  }
  const headers = { 'x-aws-ec2-metadata-token': (await tokenRes.text()).trim() };
  const roleRes = await request(`${endpoint}${IMDS_CREDENTIALS_PATH}`, { headers }, IMDS_TIMEOUT_MS, 'EC2 instance metadata');
  const role = (await roleRes.text()).split('\n')[0]?.trim();
  if (!roleRes.ok || !role) throw new CredentialsError(`EC2 instance metadata has no IAM role (HTTP ${roleRes.status}); attach an instance profile`, true);
  const credRes = await request(`${endpoint}${IMDS_CREDENTIALS_PATH}${encodeURIComponent(role)}`, { headers }, IMDS_TIMEOUT_MS, 'EC2 instance metadata');
  const text = await credRes.text().catch(() => '');
  if (!credRes.ok) throw new CredentialsError(`EC2 instance metadata answered HTTP ${credRes.status} for role ${role}`, true);
  return toCredentials(parseJson(text, 'EC2 instance metadata'), `EC2 instance profile ${role}`);
}
