import { readFile } from 'node:fs/promises';
import { GatewayError } from '../../errors.js';
import type { Component, CreateSettings, Host } from '../../pipeline/component.js';
import { registerSecret } from '../../telemetry/secrets.js';
import type { ClientAuthenticator } from '../client-auth.js';
import type { BasicAuthConfig } from './config.js';
import { parseHtpasswd, type Verify } from './htpasswd.js';

type Headers = Record<string, string | string[] | undefined>;

/**
 * HTTP Basic authentication, both sides (contrib's basicauth): incoming requests are checked
 * against `htpasswd`; outgoing ones carry `client_auth`. The base64 form of the client's
 * credentials is registered as a secret too, since that is how it travels.
 */
export class BasicAuthExtension implements Component, ClientAuthenticator {
  private users = new Map<string, Verify>();
  private readonly clientHeader: Record<string, string>;

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: BasicAuthConfig,
  ) {
    const c = config.client_auth;
    if (c) {
      const encoded = Buffer.from(`${c.username}:${c.password}`, 'utf8').toString('base64');
      registerSecret(encoded);
      this.clientHeader = { Authorization: `Basic ${encoded}` };
    } else this.clientHeader = {};
  }

  async start(_host: Host): Promise<void> {
    const h = this.config.htpasswd;
    if (!h) return;
    let text = h.inline ?? '';
    if (h.file) {
      try {
        text = `${await readFile(h.file, 'utf8')}\n${text}`;
      } catch (err) {
        throw new GatewayError('COMPONENT_START_FAILED', `basicauth cannot read htpasswd file ${h.file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
      }
    }
    try {
      this.users = parseHtpasswd(text, h.file ?? 'htpasswd.inline');
    } catch (err) {
      throw new GatewayError('COMPONENT_START_FAILED', `basicauth: ${(err as Error).message}`);
    }
    this.settings.logger.debug('basicauth users loaded', { count: this.users.size });
  }

  async shutdown(): Promise<void> {}

  /** Server side: `Authorization: Basic base64(user:password)` matching an htpasswd entry. */
  async authenticate(headers: Headers): Promise<boolean> {
    const raw = header(headers, 'authorization');
    const m = raw ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(raw) : null;
    if (!m) return false;
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    const verify = this.users.get(decoded.slice(0, colon));
    return verify ? verify(decoded.slice(colon + 1)) : false;
  }

  clientHeaders(own: Record<string, string>): Record<string, string> {
    return { ...own, ...this.clientHeader };
  }
}

function header(headers: Headers, name: string): string | undefined {
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return Array.isArray(v) ? v[0] : v;
  return undefined;
}
