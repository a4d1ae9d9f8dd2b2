import { readFile } from 'node:fs/promises';
import { GatewayError } from '../../errors.js';
import { expiresInMs, tokenFailure, TokenCache, TokenError, type AccessToken } from '../../exporters/helper/token-cache.js';
import { HttpClient } from '../../exporters/helper/http-client.js';
import type { Component, CreateSettings, Host } from '../../pipeline/component.js';
import { redact, registerSecret } from '../../telemetry/secrets.js';
import type { ClientAuthenticator } from '../client-auth.js';
import type { OAuth2ClientConfig } from './config.js';

/** Token responses are small JSON; a runaway one is cut. */
const MAX_TOKEN_RESPONSE_BYTES = 64 * 1024;

/**
 * OAuth 2.0 client credentials for exporters (contrib's oauth2client): POST `token_url` with
 * `grant_type=client_credentials`, the client id and secret, `scope` and `endpoint_params`; the
 * access token goes out as `Authorization: Bearer …`, cached until `expiry_buffer` before it
 * expires (one refresh at a time), dropped when a backend answers 401. Over the exporters' HTTP
 * client (exporters/helper/http-client.ts), so the `tls` block (CA, client certificate, skip-verify)
 * applies to the token endpoint too.
 */
export class OAuth2ClientExtension implements Component, ClientAuthenticator {
  private readonly tokens: TokenCache;
  private http?: HttpClient;
  private clientId = '';
  private clientSecret = '';

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: OAuth2ClientConfig,
  ) {
    this.tokens = new TokenCache(() => this.fetchToken(), Date.now, config.expiry_buffer);
  }

  async start(_host: Host): Promise<void> {
    const c = this.config;
    const read = async (path: string | undefined, what: string) => {
      if (!path) return undefined;
      try {
        return (await readFile(path, 'utf8')).trim();
      } catch (err) {
        throw new GatewayError('COMPONENT_START_FAILED', `oauth2client cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
      }
    };
    // A file wins over the inline value, as in contrib (files are how rotated secrets arrive).
    this.clientId = (await read(c.client_id_file, 'client_id_file')) ?? c.client_id!;
    this.clientSecret = (await read(c.client_secret_file, 'client_secret_file')) ?? c.client_secret!;
    registerSecret(this.clientSecret);
    const client = new HttpClient({ tls: c.tls }, `extensions.${this.settings.id}`);
    await client.start();
    this.http = client;
  }

  async shutdown(): Promise<void> {
    await this.http?.close();
  }

  async clientHeaders(own: Record<string, string>, signal?: AbortSignal): Promise<Record<string, string>> {
    return { ...own, Authorization: `Bearer ${await this.tokens.get(signal)}` };
  }

  unauthorized(sent: Record<string, string>): void {
    const token = sent.Authorization?.replace(/^Bearer /, '');
    if (token) this.tokens.invalidate(token);
  }

  private async fetchToken(): Promise<AccessToken> {
    if (!this.http) throw new TokenError({ kind: 'retryable', reason: 'oauth2client has not started' });
    const c = this.config;
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: this.clientId, client_secret: this.clientSecret });
    if (c.scopes.length > 0) form.set('scope', c.scopes.join(' '));
    for (const [k, v] of Object.entries(c.endpoint_params)) for (const one of Array.isArray(v) ? v : [v]) form.append(k, one);
    let res;
    try {
      res = await this.http.post(new URL(c.token_url), {
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        body: Buffer.from(form.toString()),
        signal: AbortSignal.timeout(c.timeout),
        maxResponseBytes: MAX_TOKEN_RESPONSE_BYTES,
      });
    } catch (err) {
      const e = err as { name?: string; code?: string };
      throw new TokenError({ kind: 'retryable', reason: `oauth2client token request failed: ${e.name === 'TimeoutError' || e.name === 'AbortError' ? 'timed out' : (e.code ?? 'network error')}` });
    }
    const text = res.body.toString('utf8');
    if (res.status < 200 || res.status >= 300) {
      const retryAfter = Number(res.headers.get('retry-after'));
      throw tokenFailure('oauth2client', res.status, this.scrub(errorDetail(text)), Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined);
    }
    let body: { access_token?: unknown; expires_in?: unknown; token_type?: unknown };
    try {
      body = JSON.parse(text);
    } catch {
      body = {};
    }
    if (typeof body.access_token !== 'string' || body.access_token === '') {
      throw new TokenError({ kind: 'retryable', reason: 'oauth2client token response had no access_token' });
    }
    this.settings.logger.debug('oauth2client: fetched an access token', { expires_in_s: Math.round(expiresInMs(body.expires_in) / 1000) });
    return { token: body.access_token, expiresInMs: expiresInMs(body.expires_in) };
  }

  private scrub(text: string): string {
    return redact(text).split(this.clientSecret).join('[REDACTED]');
  }
}

/** `{"error":"invalid_client","error_description":"…"}` → one short line, never the raw body. */
function errorDetail(text: string): string {
  try {
    const j = JSON.parse(text) as { error?: unknown; error_description?: unknown };
    return [j.error, j.error_description].filter((x): x is string => typeof x === 'string').join(': ').split(/\r?\n/)[0]!.slice(0, 300);
  } catch {
    return '';
  }
}
