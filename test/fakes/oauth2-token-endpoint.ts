import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A strict OAuth 2.0 token endpoint for the client credentials grant (RFC 6749 §4.4), as an
 * identity provider answers it. It accepts only `POST /oauth2/token` with
 * `application/x-www-form-urlencoded`, `grant_type=client_credentials`, the configured client id and
 * secret (in the form, as client_secret_post), the configured scope set, and the configured extra
 * parameters; anything else gets the RFC's error body (`invalid_request`, `invalid_client` 401,
 * `unsupported_grant_type`, `invalid_scope`). Issued tokens expire after `expiresInS` and can be
 * revoked, so a resource server built on `isValid` refuses them like a real one.
 */
export interface TokenEndpointOptions {
  clientId: string;
  clientSecret: string;
  /** Exactly these scopes (space separated, any order) must be asked for. */
  scopes?: string[];
  /** Form fields that must be present with these values (e.g. `audience`). */
  requiredParams?: Record<string, string>;
  expiresInS?: number;
}

export class OAuth2TokenEndpoint {
  private server?: Server;
  private readonly issued = new Map<string, number>();
  /** Token requests answered 200. */
  issuedCount = 0;
  readonly refusals: { status: number; error: string }[] = [];

  constructor(private readonly options: TokenEndpointOptions) {}

  get tokenUrl(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/oauth2/token`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** What a resource server asks: is this access token one we issued, unexpired and not revoked? */
  isValid(token: string): boolean {
    const expiresAt = this.issued.get(token);
    return expiresAt !== undefined && Date.now() < expiresAt;
  }

  revokeAll(): void {
    this.issued.clear();
  }

  private refuse(res: ServerResponse, status: number, error: string, description: string): void {
    this.refusals.push({ status, error });
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify({ error, error_description: description }));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (req.method !== 'POST' || req.url !== '/oauth2/token') return this.refuse(res, 404, 'invalid_request', 'no such endpoint');
    if (!(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return this.refuse(res, 400, 'invalid_request', 'form body required');
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    if (form.get('grant_type') !== 'client_credentials') return this.refuse(res, 400, 'unsupported_grant_type', 'only client_credentials');
    if (form.get('client_id') !== this.options.clientId || form.get('client_secret') !== this.options.clientSecret) {
      return this.refuse(res, 401, 'invalid_client', 'client authentication failed');
    }
    const asked = (form.get('scope') ?? '').split(' ').filter(Boolean).sort().join(' ');
    if (asked !== [...(this.options.scopes ?? [])].sort().join(' ')) return this.refuse(res, 400, 'invalid_scope', `scope "${asked}" not allowed`);
    for (const [k, v] of Object.entries(this.options.requiredParams ?? {})) {
      if (form.get(k) !== v) return this.refuse(res, 400, 'invalid_request', `missing ${k}`);
    }
    const token = randomBytes(16).toString('hex');
    const expiresInS = this.options.expiresInS ?? 3600;
    this.issued.set(token, Date.now() + expiresInS * 1000);
    this.issuedCount++;
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: expiresInS }));
  }
}
