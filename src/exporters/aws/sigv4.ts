import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentials } from './credentials.js';

/**
 * SigV4 request signing with the AWS SDK's own signer (@smithy/signature-v4), not the full
 * @aws-sdk/client-cloudwatch-logs: the client brings its own retry loop, credential chain and
 * HTTP handler, and all three would fight the exporter helper (queue, backoff, dead-letter,
 * timeouts) that every exporter here shares. The signer alone is the part that must be exactly
 * right and is maintained by AWS. Hashing is @smithy/hash-node (node:crypto), as the SDK does in
 * Node: a 1 MiB PutLogEvents body is hashed natively rather than in JavaScript.
 */

export interface SignedCall {
  url: URL;
  /** Headers to send: the caller's plus host, x-amz-date, x-amz-security-token and authorization. */
  headers: Record<string, string>;
}

/** One signer per credentials object: it caches the derived signing key per day and region. */
const signers = new WeakMap<AwsCredentials, Map<string, SignatureV4>>();

function signerFor(credentials: AwsCredentials, region: string, service: string): SignatureV4 {
  let byScope = signers.get(credentials);
  if (!byScope) signers.set(credentials, (byScope = new Map()));
  const scope = `${region}/${service}`;
  let signer = byScope.get(scope);
  if (!signer) {
    const { accessKeyId, secretAccessKey, sessionToken } = credentials;
    signer = new SignatureV4({ credentials: { accessKeyId, secretAccessKey, sessionToken }, region, service, sha256: Hash.bind(null, 'sha256') });
    byScope.set(scope, signer);
  }
  return signer;
}

/** Sign a POST of `body` to `url` for `service` in `region`. */
export async function signPost(url: URL, headers: Record<string, string>, body: string | Uint8Array, credentials: AwsCredentials, region: string, service: string): Promise<SignedCall> {
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = v;
  const signed = await signerFor(credentials, region, service).sign({
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port ? Number(url.port) : undefined,
    path: url.pathname,
    query,
    // The Host header must be what fetch will send: host[:port].
    headers: { ...headers, host: url.host },
    body,
  });
  return { url, headers: signed.headers as Record<string, string> };
}
