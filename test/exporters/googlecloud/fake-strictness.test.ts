import { SignJWT, generateKeyPair } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { GOOGLE_MAX_REQUEST_BYTES, GoogleLoggingFake, LOGGING_WRITE_SCOPE } from '../../fakes/google-logging.js';

/** The fake must refuse what Google refuses, or the adapter tests prove nothing. */
const EMAIL = 'sa@p.iam.gserviceaccount.com';
const body = async (r: Response | Promise<Response>): Promise<any> => (await r).json();
let fake: GoogleLoggingFake;
afterEach(() => fake?.close());

async function setup() {
  const pair = await generateKeyPair('RS256');
  fake = await new GoogleLoggingFake({ publicKey: pair.publicKey, clientEmail: EMAIL, project: 'p' }).start();
  const assertion = (claims: Record<string, unknown> = {}, lifetimeS = 3600) => {
    const iat = Math.floor(Date.now() / 1000);
    return new SignJWT({ scope: LOGGING_WRITE_SCOPE, ...claims }).setProtectedHeader({ alg: 'RS256' }).setIssuer(EMAIL).setAudience(fake.tokenUri).setIssuedAt(iat).setExpirationTime(iat + lifetimeS).sign(pair.privateKey);
  };
  const token = (a: string, grant = 'urn:ietf:params:oauth:grant-type:jwt-bearer') =>
    fetch(fake.tokenUri, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: grant, assertion: a }) });
  return { assertion, token };
}

describe('Google fake strictness', () => {
  it('refuses assertions valid longer than an hour, with the wrong scope, or the wrong grant', async () => {
    const { assertion, token } = await setup();
    expect((await body(token(await assertion({}, 7200)))).error).toBe('invalid_grant');
    expect((await body(token(await assertion({ scope: 'https://www.googleapis.com/auth/cloud-platform.read-only' })))).error).toBe('invalid_scope');
    expect((await body(token(await assertion(), 'client_credentials'))).error).toBe('unsupported_grant_type');
    expect((await token(await assertion())).status).toBe(200);
  });

  it('refuses writes without a valid token, without JSON, or above 10 MiB', async () => {
    const { assertion, token } = await setup();
    const { access_token } = (await (await token(await assertion())).json()) as { access_token: string };
    const write = (body: string, headers: Record<string, string>) => fetch(`${fake.baseUrl}/v2/entries:write`, { method: 'POST', headers, body });
    const ok = JSON.stringify({ logName: 'projects/p/logs/x', resource: { type: 'global' }, entries: [{ textPayload: 'hi' }] });
    const noAuth = await write(ok, { 'content-type': 'application/json' });
    expect(noAuth.status).toBe(401);
    expect((await body(noAuth)).error.status).toBe('UNAUTHENTICATED');
    expect((await write(ok, { authorization: `Bearer ${access_token}`, 'content-type': 'text/plain' })).status).toBe(400);
    const huge = JSON.stringify({ logName: 'projects/p/logs/x', resource: { type: 'global' }, entries: [{ textPayload: 'a'.repeat(GOOGLE_MAX_REQUEST_BYTES) }] });
    const tooBig = await write(huge, { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' });
    expect((await body(tooBig)).error.message).toMatch(/payload size exceeds the limit/);
    expect((await write(ok, { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' })).status).toBe(200);
    fake.expireTokens();
    expect((await write(ok, { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' })).status).toBe(401);
  });

  it('answers the metadata server only with Metadata-Flavor: Google', async () => {
    await setup();
    const url = `http://${fake.metadataHost}/computeMetadata/v1/instance/service-accounts/default/token`;
    expect((await fetch(url)).status).toBe(403);
    expect((await fetch(url, { headers: { 'Metadata-Flavor': 'Google' } })).status).toBe(200);
  });
});
