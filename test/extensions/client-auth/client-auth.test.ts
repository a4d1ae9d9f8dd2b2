import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import bcrypt from 'bcryptjs';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';
import { validateConfig } from '../../../src/config/validate.js';
import { countLogRecords, newLogRecord, type Logs } from '../../../src/pdata/model.js';
import { decodeLogs, encodeLogs } from '../../../src/pdata/proto.js';
import { Service } from '../../../src/pipeline/service.js';
import { defaultRegistry } from '../../../src/registry.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { redact } from '../../../src/telemetry/secrets.js';
import { Telemetry } from '../../../src/telemetry/telemetry.js';
import { OAuth2TokenEndpoint } from '../../fakes/oauth2-token-endpoint.js';
import { freePort } from '../../helpers/ports.js';

/**
 * Exporters' `auth: {authenticator}` with the Collector's client authenticators, and basicauth on
 * a receiver, through a running pipeline: OTLP/HTTP in, otlphttp out to a resource server that
 * checks credentials the way the real one would.
 */

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

interface ResourceServer {
  url: string;
  records: number;
  seen: IncomingHttpHeaders[];
  refused: number;
}

/** An OTLP/HTTP backend that answers 401 unless `allow(headers)`. */
async function resourceServer(allow: (h: IncomingHttpHeaders) => boolean): Promise<ResourceServer> {
  const state: ResourceServer = { url: '', records: 0, seen: [], refused: 0 };
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    state.seen.push(req.headers);
    if (!allow(req.headers)) {
      state.refused++;
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"message":"unauthenticated"}');
      return;
    }
    state.records += countLogRecords(decodeLogs(Buffer.concat(chunks)));
    res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.push(() => new Promise((r) => server.close(r)));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}

async function pipeline(extensions: string, exporterAuth: string, receiverAuth = ''): Promise<{ port: number; service: Service }> {
  const port = await freePort();
  const text = `
extensions:
${extensions}
receivers: { otlp: { protocols: { http: { endpoint: "127.0.0.1:${port}"${receiverAuth} } } } }
exporters: { otlphttp: { endpoint: "${process.env.BACKEND}", compression: none, sending_queue: { enabled: false }, retry_on_failure: { enabled: false }${exporterAuth} } }
service:
  extensions: [${[...extensions.matchAll(/^  ([a-z0-9_/]+):/gm)].map((m) => m[1]).join(', ')}]
  pipelines: { logs: { receivers: [otlp], exporters: [otlphttp] } }
  telemetry: { metrics: { level: none } }
`;
  const service = new Service(validateConfig(parseConfigText(text, 'auth.yaml'), defaultRegistry), new Telemetry({ processMetrics: false }), silentLogger);
  await service.start();
  cleanup.push(() => service.shutdown());
  return { port, service };
}

function request(n = 3): Uint8Array {
  const logs: Logs = { resourceLogs: [{ schemaUrl: '', scopeLogs: [{ schemaUrl: '', logRecords: Array.from({ length: n }, (_, i) => newLogRecord({ body: { stringValue: `r${i}` } })) }] }] };
  return encodeLogs(logs);
}

async function send(port: number, headers: Record<string, string> = {}): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf', ...headers }, body: request() });
  await res.arrayBuffer();
  return res.status;
}

describe('client authenticators on exporters', () => {
  it('oauth2client: fetches a client-credentials token, reuses it, refreshes on expiry and after a 401', async () => {
    const idp = await new OAuth2TokenEndpoint({ clientId: 'gateway', clientSecret: 'idp-secret-value-1', scopes: ['logs.write', 'api'], requiredParams: { audience: 'logs-api' }, expiresInS: 2 }).start();
    cleanup.push(() => idp.stop());
    const backend = await resourceServer((h) => idp.isValid(String(h.authorization ?? '').replace(/^Bearer /, '')));
    process.env.BACKEND = backend.url;
    const { port } = await pipeline(
      `  oauth2client:\n    client_id: gateway\n    client_secret: idp-secret-value-1\n    token_url: ${idp.tokenUrl}\n    scopes: [logs.write, api]\n    endpoint_params: { audience: logs-api }\n`,
      ', auth: { authenticator: oauth2client }',
    );
    expect(await send(port)).toBe(200);
    expect(await send(port)).toBe(200);
    expect(idp.issuedCount).toBe(1);
    // The token lives 2 s; half of a short lifetime is kept back, so after 1.2 s a new one is used.
    await new Promise((r) => setTimeout(r, 1200));
    expect(await send(port)).toBe(200);
    expect(idp.issuedCount).toBe(2);
    // Revoked at the IdP: the backend's 401 makes the gateway fetch a new token and resend once.
    idp.revokeAll();
    expect(await send(port)).toBe(200);
    expect(idp.issuedCount).toBe(3);
    expect(backend.refused).toBe(1);
    expect(backend.records).toBe(12);
    expect(idp.refusals).toEqual([]);
  });

  it('oauth2client: a wrong client secret is a permanent failure whose reason names the IdP error, never the secret', async () => {
    const idp = await new OAuth2TokenEndpoint({ clientId: 'gateway', clientSecret: 'the-right-secret' }).start();
    cleanup.push(() => idp.stop());
    const backend = await resourceServer(() => true);
    process.env.BACKEND = backend.url;
    const { port } = await pipeline(`  oauth2client:\n    client_id: gateway\n    client_secret: wrong-secret-value-9\n    token_url: ${idp.tokenUrl}\n`, ', auth: { authenticator: oauth2client }');
    const res = await fetch(`http://127.0.0.1:${port}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'x' } }] }] }] }) });
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(text).toMatch(/invalid_client/);
    expect(text).not.toContain('wrong-secret-value-9');
    expect(redact('wrong-secret-value-9')).not.toContain('wrong-secret-value-9');
    expect(backend.seen).toHaveLength(0);
  });

  it('bearertokenauth and headers_setter add their headers to what the exporter sends', async () => {
    const backend = await resourceServer((h) => h.authorization === 'Bearer client-side-token' && h['x-tenant'] === 'acme');
    process.env.BACKEND = backend.url;
    const bearer = await pipeline('  bearertokenauth/out:\n    token: client-side-token\n', ', auth: { authenticator: bearertokenauth/out }, headers: { x-tenant: acme }');
    expect(await send(bearer.port)).toBe(200);
    const setter = await pipeline(
      '  headers_setter:\n    headers:\n      - { key: Authorization, value: Bearer client-side-token }\n      - { key: X-Tenant, value: acme, action: insert }\n      - { key: X-Debug, action: delete }\n',
      ', auth: { authenticator: headers_setter }, headers: { x-debug: "1" }',
    );
    expect(await send(setter.port)).toBe(200);
    expect(backend.records).toBe(6);
    expect(backend.seen.at(-1)!['x-debug']).toBeUndefined();
  });

  it('basicauth client_auth sends Basic credentials; the base64 form is redacted like the password', async () => {
    const expected = `Basic ${Buffer.from('shipper:pa55-word-value').toString('base64')}`;
    const backend = await resourceServer((h) => h.authorization === expected);
    process.env.BACKEND = backend.url;
    const { port } = await pipeline('  basicauth/client:\n    client_auth: { username: shipper, password: pa55-word-value }\n', ', auth: { authenticator: basicauth/client }');
    expect(await send(port)).toBe(200);
    expect(backend.records).toBe(3);
    expect(redact(`sent ${expected}`)).not.toContain(expected.slice(6));
  });

  it('refuses a config whose exporter auth names an extension that cannot authenticate outgoing requests', async () => {
    process.env.BACKEND = 'http://127.0.0.1:9';
    await expect(pipeline('  health_check:\n    endpoint: 127.0.0.1:0\n', ', auth: { authenticator: health_check }')).rejects.toThrow(/exporters\.otlphttp\.auth\.authenticator: extension "health_check" is not an authenticator for outgoing requests/);
  });
});

describe('basicauth on a receiver', () => {
  it('accepts the htpasswd users (bcrypt and {SHA}) and refuses anything else with 401', async () => {
    const backend = await resourceServer(() => true);
    process.env.BACKEND = backend.url;
    const hash = bcrypt.hashSync('right-password', 4);
    const sha = `{SHA}${(await import('node:crypto')).createHash('sha1').update('sha-password').digest('base64')}`;
    const { port } = await pipeline(`  basicauth/in:\n    htpasswd:\n      inline: |\n        alice:${hash}\n        bob:${sha}\n`, '', ', auth: { authenticator: basicauth/in }');
    const basic = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
    expect(await send(port, basic('alice', 'right-password'))).toBe(200);
    expect(await send(port, basic('bob', 'sha-password'))).toBe(200);
    expect(await send(port, basic('alice', 'wrong'))).toBe(401);
    expect(await send(port, basic('mallory', 'right-password'))).toBe(401);
    expect(await send(port)).toBe(401);
    expect(backend.records).toBe(6);
  });

  it('refuses an htpasswd hash form it cannot check at start, naming the line', async () => {
    process.env.BACKEND = 'http://127.0.0.1:9';
    await expect(pipeline('  basicauth/in:\n    htpasswd:\n      inline: "carol:$apr1$abc$def"\n', '', ', auth: { authenticator: basicauth/in }')).rejects.toThrow(/line 1: \$apr1\$ hashes are not supported/);
  });
});
