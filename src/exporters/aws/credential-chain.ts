import { registerSecret } from '../../telemetry/secrets.js';
import { CachedCredentialsProvider, CredentialsError, type AwsCredentials, type CredentialsProvider } from './credentials.js';
import { containerCredentials, containerCredentialsUrl, ECS_CONTAINER_HOST, imdsCredentials, imdsEndpoint } from './remote-credentials.js';
import { loadProfile, profileCredentials, profileName } from './shared-files.js';
import { assumeRole, assumeRoleWithWebIdentity } from './sts.js';

/**
 * The default credential chain of the AWS SDKs, in their order: environment variables, the
 * shared credentials/config files (profile), the web identity token file (STS
 * AssumeRoleWithWebIdentity), the container endpoint (ECS, EKS Pod Identity), EC2 IMDSv2. The
 * first source that is configured wins; a configured source that fails is an error (it is not
 * skipped, which would hide a misconfiguration behind some other identity). With `role_arn`, the
 * chain's credentials only sign an STS AssumeRole, and the assumed role's credentials are used.
 */

export interface ChainOptions {
  env: NodeJS.ProcessEnv;
  /** For STS's regional endpoint and AssumeRole's signature. */
  region?: string;
  roleArn?: string;
  externalId?: string;
  /** Where RELATIVE_URI is resolved; the ECS agent's address unless a test points it elsewhere. */
  containerHost?: string;
  /**
   * For STS (a remote AWS endpoint): the exporter's HTTP client, so `tls` and `proxy_url` apply.
   * Container and instance metadata endpoints are local and always reached directly.
   */
  fetch?: typeof fetch;
}

/** Long-term keys go into the redaction set; rotating session credentials do not (it never forgets). */
function longTerm(credentials: AwsCredentials): AwsCredentials {
  registerSecret(credentials.secretAccessKey);
  registerSecret(credentials.sessionToken);
  return credentials;
}

export async function resolveDefaultChain(o: ChainOptions): Promise<AwsCredentials> {
  const { env } = o;
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    return longTerm({ accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN || undefined, source: 'environment' });
  }
  const name = profileName(env);
  const profile = await loadProfile(env, name);
  const fromProfile = profile && profileCredentials(profile, name);
  if (fromProfile) return longTerm(fromProfile);
  const tokenFile = env.AWS_WEB_IDENTITY_TOKEN_FILE || profile?.web_identity_token_file;
  const webRole = env.AWS_ROLE_ARN || profile?.role_arn;
  if (tokenFile && webRole) {
    return assumeRoleWithWebIdentity({ tokenFile, roleArn: webRole, sessionName: env.AWS_ROLE_SESSION_NAME || profile?.role_session_name, env, region: o.region, fetch: o.fetch });
  }
  const container = containerCredentialsUrl(env, o.containerHost ?? ECS_CONTAINER_HOST);
  if (container) return containerCredentials(container, env);
  const imds = imdsEndpoint(env);
  if (imds) {
    try {
      return await imdsCredentials(imds);
    } catch (err) {
      throw new CredentialsError(`no AWS credentials found: not in the environment (AWS_ACCESS_KEY_ID), profile "${name}", a web identity token file, a container endpoint, nor EC2 instance metadata (${(err as Error).message})`, true);
    }
  }
  throw new CredentialsError(`no AWS credentials found: not in the environment (AWS_ACCESS_KEY_ID), profile "${name}", a web identity token file or a container endpoint, and EC2 instance metadata is disabled`, true);
}

/** The chain behind a cache; with `roleArn`, AssumeRole on top of it, cached as well. */
export function defaultCredentialsProvider(o: ChainOptions): CredentialsProvider {
  const base = new CachedCredentialsProvider(() => resolveDefaultChain(o));
  if (!o.roleArn) return base;
  const roleArn = o.roleArn;
  return new CachedCredentialsProvider(async () => assumeRole(await base.get(), { roleArn, externalId: o.externalId, env: o.env, region: o.region, fetch: o.fetch }));
}

/**
 * The region when the config names none: AWS_REGION, AWS_DEFAULT_REGION, then the profile's
 * `region` in the config file (the SDKs' order).
 */
export async function resolveRegion(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const fromEnv = env.AWS_REGION || env.AWS_DEFAULT_REGION;
  if (fromEnv) return fromEnv;
  const profile = await loadProfile(env).catch(() => undefined);
  return profile?.region || undefined;
}
