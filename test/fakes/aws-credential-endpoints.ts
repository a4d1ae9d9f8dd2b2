import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySigV4, type KnownKey } from './sigv4-verify.js';

/**
 * Strict fakes of the places AWS credentials come from, on one loopback server:
 * - STS (`POST /`, Query protocol, Version 2011-06-15): AssumeRoleWithWebIdentity (unsigned; the
 *   web identity token must be the expected one) and AssumeRole (SigV4 for service `sts`,
 *   verified), answering STS's XML;
 * - the ECS container endpoint (`GET /v2/credentials/<id>`; `Authorization` required when a token
 *   is configured, as with EKS Pod Identity);
 * - EC2 IMDSv2: `PUT /latest/api/token` with the TTL header, then GETs that must carry the token
 *   (401 without it, as IMDS answers when v1 is disabled).
 * Every credential issued is handed to `onIssue` (so the CloudWatch fake knows it) and expires
 * after `lifetimeMs`.
 */

export interface IssuedCredentials extends KnownKey {
  accessKeyId: string;
  expiration: Date;
  via: 'AssumeRoleWithWebIdentity' | 'AssumeRole' | 'ecs' | 'imds';
}

export interface CredentialEndpoints {
  url: string;
  readonly issued: IssuedCredentials[];
  /** Requests refused, as `<what> <status>`. */
  readonly refusals: string[];
  close(): Promise<void>;
}

export interface CredentialEndpointsOptions {
  onIssue: (c: IssuedCredentials) => void;
  lifetimeMs?: number;
  webIdentityToken?: string;
  roleArn?: string;
  /** Keys allowed to sign AssumeRole. */
  signingKeys?: (accessKeyId: string) => KnownKey | undefined;
  stsRegion?: string;
  ecsAuthorization?: string;
  imdsRole?: string;
}

const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export async function startCredentialEndpoints(o: CredentialEndpointsOptions): Promise<CredentialEndpoints> {
  const issued: IssuedCredentials[] = [];
  const refusals: string[] = [];
  const imdsTokens = new Set<string>();
  const lifetimeMs = o.lifetimeMs ?? 3_600_000;

  const issue = (via: IssuedCredentials['via']): IssuedCredentials => {
    const c: IssuedCredentials = {
      accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
      secretAccessKey: randomBytes(20).toString('base64'),
      sessionToken: `FwoG${randomBytes(48).toString('base64')}`,
      expiration: new Date(Date.now() + lifetimeMs),
      via,
    };
    issued.push(c);
    o.onIssue(c);
    return c;
  };

  const refuse = (res: ServerResponse, what: string, status: number, body = '', type = 'text/plain') => {
    refusals.push(`${what} ${status}`);
    res.writeHead(status, { 'content-type': type }).end(body);
  };
  const stsError = (res: ServerResponse, status: number, code: string, message: string) =>
    refuse(res, `sts ${code}`, status, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>r</RequestId></ErrorResponse>`, 'text/xml');

  function sts(req: IncomingMessage, res: ServerResponse, raw: Buffer) {
    if (!String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return stsError(res, 400, 'InvalidParameterValue', 'expected a form body');
    const p = new URLSearchParams(raw.toString('utf8'));
    if (p.get('Version') !== '2011-06-15') return stsError(res, 400, 'InvalidParameterValue', 'Version must be 2011-06-15');
    const action = p.get('Action');
    if (!p.get('RoleSessionName')) return stsError(res, 400, 'ValidationError', 'RoleSessionName is required');
    if (o.roleArn && p.get('RoleArn') !== o.roleArn) return stsError(res, 403, 'AccessDenied', `Not authorized to perform sts:${action} on ${p.get('RoleArn')}`);
    let c: IssuedCredentials;
    if (action === 'AssumeRoleWithWebIdentity') {
      if (p.get('WebIdentityToken') !== o.webIdentityToken) return stsError(res, 400, 'InvalidIdentityToken', 'Couldn\'t retrieve verification key from your identity provider');
      c = issue('AssumeRoleWithWebIdentity');
    } else if (action === 'AssumeRole') {
      const v = verifySigV4({ method: req.method!, url: req.url!, headers: req.headers, body: raw }, { region: o.stsRegion ?? 'us-east-1', service: 'sts', keys: (id) => o.signingKeys?.(id) });
      if (!v.ok) return stsError(res, v.status, v.type, v.message);
      c = issue('AssumeRole');
    } else return stsError(res, 400, 'InvalidAction', `Could not find operation ${action}`);
    res.writeHead(200, { 'content-type': 'text/xml' }).end(
      `<${action}Response xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><${action}Result><Credentials><AccessKeyId>${c.accessKeyId}</AccessKeyId><SecretAccessKey>${xmlEscape(c.secretAccessKey)}</SecretAccessKey><SessionToken>${xmlEscape(c.sessionToken!)}</SessionToken><Expiration>${c.expiration.toISOString()}</Expiration></Credentials></${action}Result></${action}Response>`,
    );
  }

  const credentialsJson = (c: IssuedCredentials) => JSON.stringify({ Code: 'Success', Type: 'AWS-HMAC', AccessKeyId: c.accessKeyId, SecretAccessKey: c.secretAccessKey, Token: c.sessionToken, Expiration: c.expiration.toISOString() });

  function handle(req: IncomingMessage, res: ServerResponse, raw: Buffer) {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/' && req.method === 'POST') return sts(req, res, raw);
    if (path.startsWith('/v2/credentials/') && req.method === 'GET') {
      if (o.ecsAuthorization !== undefined && req.headers.authorization !== o.ecsAuthorization) return refuse(res, 'ecs', 401, '{"message":"unauthorized"}', 'application/json');
      return res.writeHead(200, { 'content-type': 'application/json' }).end(credentialsJson(issue('ecs')));
    }
    if (path === '/latest/api/token') {
      if (req.method !== 'PUT') return refuse(res, 'imds token', 405);
      const ttl = Number(req.headers['x-aws-ec2-metadata-token-ttl-seconds']);
      if (!(ttl >= 1 && ttl <= 21_600)) return refuse(res, 'imds token', 400);
      const token = randomBytes(24).toString('base64');
      imdsTokens.add(token);
      return res.writeHead(200, { 'content-type': 'text/plain' }).end(token);
    }
    if (path.startsWith('/latest/meta-data/')) {
      if (req.method !== 'GET') return refuse(res, 'imds', 405);
      if (!imdsTokens.has(String(req.headers['x-aws-ec2-metadata-token'] ?? ''))) return refuse(res, 'imds', 401);
      const role = o.imdsRole ?? 'gateway-role';
      if (path === '/latest/meta-data/iam/security-credentials/') return res.writeHead(200).end(role);
      if (path === `/latest/meta-data/iam/security-credentials/${role}`) return res.writeHead(200, { 'content-type': 'text/plain' }).end(credentialsJson(issue('imds')));
      return refuse(res, 'imds', 404);
    }
    refuse(res, `unknown ${req.method} ${path}`, 404);
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    issued,
    refusals,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
