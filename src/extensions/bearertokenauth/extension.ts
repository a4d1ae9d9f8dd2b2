import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { GatewayError } from '../../errors.js';
import type { Component, CreateSettings, Host } from '../../pipeline/component.js';
import { registerSecret } from '../../telemetry/secrets.js';
import type { BearerTokenAuthConfig } from './config.js';

/** What a receiver's `auth.authenticator` needs from an auth extension. */
export interface ServerAuthenticator {
  authenticate(headers: Record<string, string | string[] | undefined>): boolean;
}

/**
 * Checks `<header>: <scheme> <token>` on incoming requests (server side) and supplies that header
 * to outgoing ones (client side). Comparison is constant-time over SHA-256 digests, so neither
 * the token's content nor its length leaks through response timing; every configured token is
 * compared on every call for the same reason.
 */
export class BearerTokenAuthExtension implements Component, ServerAuthenticator {
  private digests: Buffer[] = [];
  private firstToken: string | undefined;

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: BearerTokenAuthConfig,
  ) {
    const inline = config.token !== undefined ? [config.token] : (config.tokens ?? []);
    if (inline.length > 0) this.setTokens(inline);
  }

  async start(_host: Host): Promise<void> {
    if (!this.config.filename) return;
    let text: string;
    try {
      text = await readFile(this.config.filename, 'utf8');
    } catch (err) {
      throw new GatewayError('COMPONENT_START_FAILED', `bearertokenauth cannot read ${this.config.filename}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    const tokens = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
    if (tokens.length === 0) throw new GatewayError('COMPONENT_START_FAILED', `bearertokenauth: ${this.config.filename} holds no token`);
    this.setTokens(tokens);
    this.settings.logger.debug('bearer tokens loaded', { count: tokens.length });
  }

  async shutdown(): Promise<void> {}

  authenticate(headers: Record<string, string | string[] | undefined>): boolean {
    const raw = headerValue(headers, this.config.header);
    if (raw === undefined || this.digests.length === 0) return false;
    const prefix = this.config.scheme ? `${this.config.scheme} ` : '';
    const presented = raw.startsWith(prefix) ? raw.slice(prefix.length) : undefined;
    // Hash even a malformed value so a missing scheme costs the same time as a wrong token.
    const digest = sha256(presented ?? raw);
    let ok = false;
    for (const d of this.digests) ok = timingSafeEqual(d, digest) || ok;
    return ok && presented !== undefined;
  }

  /** Client side: the exporter's headers plus `<header>: <scheme> <token>` (the first token). */
  clientHeaders(own: Record<string, string>): Record<string, string> {
    if (this.firstToken === undefined) return own;
    return { ...own, [this.config.header]: this.config.scheme ? `${this.config.scheme} ${this.firstToken}` : this.firstToken };
  }

  private setTokens(tokens: string[]): void {
    for (const t of tokens) registerSecret(t);
    this.digests = tokens.map(sha256);
    this.firstToken = tokens[0];
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() !== wanted) continue;
    return Array.isArray(v) ? v[0] : v;
  }
  return undefined;
}
