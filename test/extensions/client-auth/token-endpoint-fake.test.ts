import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OAuth2TokenEndpoint } from '../../fakes/oauth2-token-endpoint.js';

/** The token-endpoint fake refuses what a real identity provider refuses (RFC 6749 §4.4, §5.2). */
let idp: OAuth2TokenEndpoint;
beforeAll(async () => {
  idp = await new OAuth2TokenEndpoint({ clientId: 'c', clientSecret: 's3cret', scopes: ['a'], expiresInS: 60 }).start();
});
afterAll(() => idp.stop());

async function ask(body: string, contentType = 'application/x-www-form-urlencoded', path = '/oauth2/token') {
  const res = await fetch(idp.tokenUrl.replace('/oauth2/token', path), { method: 'POST', headers: { 'content-type': contentType }, body });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('the OAuth 2.0 token endpoint fake', () => {
  it('issues a bearer token for a correct client credentials request', async () => {
    const r = await ask('grant_type=client_credentials&client_id=c&client_secret=s3cret&scope=a');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ token_type: 'Bearer', expires_in: 60 });
    expect(idp.isValid(r.body.access_token as string)).toBe(true);
    expect(idp.isValid('made-up')).toBe(false);
  });

  it.each([
    ['a wrong secret', 'grant_type=client_credentials&client_id=c&client_secret=nope&scope=a', 401, 'invalid_client'],
    ['another grant', 'grant_type=password&client_id=c&client_secret=s3cret&scope=a', 400, 'unsupported_grant_type'],
    ['a missing scope', 'grant_type=client_credentials&client_id=c&client_secret=s3cret', 400, 'invalid_scope'],
  ])('refuses %s with the RFC error', async (_what, body, status, error) => {
    const r = await ask(body);
    expect(r.status).toBe(status);
    expect(r.body.error).toBe(error);
  });

  it('refuses a JSON body and other paths', async () => {
    expect((await ask('{"grant_type":"client_credentials"}', 'application/json')).body.error).toBe('invalid_request');
    expect((await ask('grant_type=client_credentials', undefined, '/token')).status).toBe(404);
  });
});
