import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * An independent SigV4 verifier for the AWS fakes, written from the "Create a signed AWS API
 * request" steps with node:crypto (not the signer the gateway uses, so a misuse of that signer is
 * caught rather than mirrored): canonical request, string to sign, derived key, signature; plus the
 * checks AWS makes around it (scope date, region, service, clock skew, signed host and x-amz-date,
 * a security token that is signed when present).
 */

export interface KnownKey {
  secretAccessKey: string;
  /** Required (and must match) when set: temporary credentials. */
  sessionToken?: string;
  /** Expired keys get ExpiredTokenException. */
  expired?: boolean;
}

export type VerifyResult =
  | { ok: true; accessKeyId: string }
  | { ok: false; status: number; type: string; message: string };

const ALGORITHM = 'AWS4-HMAC-SHA256';
/** AWS refuses signatures dated more than 15 minutes from its clock. */
const MAX_SKEW_MS = 15 * 60_000;

const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();

/** RFC 3986 encoding as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function canonicalQuery(search: string): string {
  const params = [...new URLSearchParams(search)].map(([k, v]) => [uriEncode(k), uriEncode(v)] as const);
  params.sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1));
  return params.map(([k, v]) => `${k}=${v}`).join('&');
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

export function verifySigV4(
  req: { method: string; url: string; headers: IncomingHttpHeaders; body: Buffer },
  expected: { region: string; service: string; keys: (accessKeyId: string) => KnownKey | undefined; nowMs?: number },
): VerifyResult {
  const auth = headerValue(req.headers, 'authorization');
  if (!auth) return { ok: false, status: 400, type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' };
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return { ok: false, status: 400, type: 'IncompleteSignatureException', message: `Authorization header requires ${ALGORITHM} with Credential, SignedHeaders and Signature` };
  const [, accessKeyId, scopeDate, region, service, signedHeaderList, signature] = m;
  const amzDate = headerValue(req.headers, 'x-amz-date') ?? '';
  if (!/^\d{8}T\d{6}Z$/.test(amzDate)) return { ok: false, status: 400, type: 'IncompleteSignatureException', message: 'X-Amz-Date header missing or malformed' };
  if (amzDate.slice(0, 8) !== scopeDate) return { ok: false, status: 403, type: 'InvalidSignatureException', message: 'Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP' };
  if (region !== expected.region) return { ok: false, status: 403, type: 'InvalidSignatureException', message: `Credential should be scoped to a valid region, not '${region}'` };
  if (service !== expected.service) return { ok: false, status: 403, type: 'InvalidSignatureException', message: `Credential should be scoped to correct service: '${expected.service}'` };
  const signedAt = Date.UTC(+amzDate.slice(0, 4), +amzDate.slice(4, 6) - 1, +amzDate.slice(6, 8), +amzDate.slice(9, 11), +amzDate.slice(11, 13), +amzDate.slice(13, 15));
  if (Math.abs((expected.nowMs ?? Date.now()) - signedAt) > MAX_SKEW_MS) return { ok: false, status: 403, type: 'InvalidSignatureException', message: 'Signature expired' };
  const signed = signedHeaderList.split(';');
  for (const required of ['host', 'x-amz-date']) {
    if (!signed.includes(required)) return { ok: false, status: 403, type: 'InvalidSignatureException', message: `'${required}' must be a signed header` };
  }
  const key = expected.keys(accessKeyId);
  if (!key) return { ok: false, status: 400, type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' };
  const token = headerValue(req.headers, 'x-amz-security-token');
  if (key.sessionToken !== undefined && token !== key.sessionToken) return { ok: false, status: 400, type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' };
  if (token !== undefined && !signed.includes('x-amz-security-token')) return { ok: false, status: 403, type: 'InvalidSignatureException', message: "'x-amz-security-token' must be a signed header" };

  const url = new URL(req.url, 'http://placeholder');
  const canonicalHeaders = signed.map((h) => `${h}:${(headerValue(req.headers, h) ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const path = url.pathname.split('/').map((seg) => uriEncode(decodeURIComponent(seg))).join('/') || '/';
  const canonicalRequest = [req.method, path, canonicalQuery(url.search), canonicalHeaders, signedHeaderList, sha256Hex(req.body)].join('\n');
  const scope = `${scopeDate}/${region}/${service}/aws4_request`;
  const stringToSign = [ALGORITHM, amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${key.secretAccessKey}`, scopeDate), region), service), 'aws4_request');
  const expectedSig = createHmac('sha256', signingKey).update(stringToSign).digest();
  if (!timingSafeEqual(expectedSig, Buffer.from(signature, 'hex'))) {
    // AWS's own wording, canonical request included (it holds the session token: the gateway must scrub it).
    return {
      ok: false,
      status: 403,
      type: 'InvalidSignatureException',
      message: `The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'${canonicalRequest}'\n\nThe String-to-Sign should have been\n'${stringToSign}'\n`,
    };
  }
  if (key.expired) return { ok: false, status: 400, type: 'ExpiredTokenException', message: 'The security token included in the request is expired' };
  return { ok: true, accessKeyId };
}
