import { afterEach, describe, expect, it } from 'vitest';
import { AzureIngestionFake, MONITOR_SCOPE } from '../../fakes/azure-ingestion.js';

/** The fake must refuse what Azure refuses, or the adapter tests prove nothing. */
const ids = { tenantId: 'tn', clientId: 'cl', clientSecret: 'sec-ret-1', dcrImmutableId: 'dcr-1', streamName: 'Custom-A' };
const body = async (r: Response | Promise<Response>): Promise<any> => (await r).json();
let fake: AzureIngestionFake;
afterEach(() => fake?.close());

const form = (over: Record<string, string> = {}) =>
  new URLSearchParams({ client_id: 'cl', client_secret: 'sec-ret-1', grant_type: 'client_credentials', scope: MONITOR_SCOPE, ...over });

describe('Azure fake strictness', () => {
  it('checks tenant, client, secret, scope and grant at the token endpoint', async () => {
    fake = await new AzureIngestionFake(ids).start();
    const token = (tenant: string, body: URLSearchParams) => fetch(`${fake.baseUrl}/${tenant}/oauth2/v2.0/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
    expect((await token('other', form())).status).toBe(400);
    expect((await body(token('tn', form({ client_secret: 'nope' })))).error).toBe('invalid_client');
    expect((await body(token('tn', form({ scope: 'https://monitor.azure.com/.default/x' })))).error).toBe('invalid_scope');
    expect((await body(token('tn', form({ grant_type: 'password' })))).error).toBe('unsupported_grant_type');
    expect((await token('tn', form())).status).toBe(200);
  });

  it('checks path, api-version, Bearer, JSON array and the 1 MiB limit at the ingestion endpoint', async () => {
    fake = await new AzureIngestionFake(ids).start();
    const tok = (await (await fetch(`${fake.baseUrl}/tn/oauth2/v2.0/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form() })).json()) as { access_token: string };
    const up = (path: string, body: string, auth = `Bearer ${tok.access_token}`) => fetch(`${fake.baseUrl}${path}`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body });
    const good = '/dataCollectionRules/dcr-1/streams/Custom-A?api-version=2023-01-01';
    const row = JSON.stringify([{ TimeGenerated: new Date().toISOString() }]);
    expect((await up(good, row, 'Bearer wrong')).status).toBe(401);
    expect((await up('/dataCollectionRules/dcr-1/streams/Custom-A?api-version=2021-01-01', row)).status).toBe(400);
    expect((await up('/dataCollectionRules/dcr-2/streams/Custom-A?api-version=2023-01-01', row)).status).toBe(404);
    expect((await up('/dataCollectionRules/dcr-1/streams/Custom-B?api-version=2023-01-01', row)).status).toBe(400);
    expect((await up(good, '{"TimeGenerated":"2026-01-01T00:00:00Z"}')).status).toBe(400);
    const big = await up(good, JSON.stringify([{ TimeGenerated: new Date().toISOString(), Body: 'x'.repeat(1_048_576) }]));
    expect(big.status).toBe(413);
    expect((await body(big)).error.code).toBe('ContentLengthLimitExceeded');
    expect((await up(good, row)).status).toBe(204);
    fake.expireTokens();
    expect((await up(good, row)).status).toBe(401);
  });
});
