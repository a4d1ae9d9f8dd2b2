import type { Component, CreateSettings, Host } from '../../pipeline/component.js';
import type { ClientAuthenticator } from '../client-auth.js';
import type { HeadersSetterConfig } from './config.js';

/**
 * Sets headers on outgoing requests (contrib's headers_setter), used as an exporter's
 * `auth.authenticator`. `insert` adds a header only where the exporter did not set it, `update`
 * only where it did, `upsert` always; `delete` removes it. Exporters apply the result over their
 * own `headers`.
 */
export class HeadersSetterExtension implements Component, ClientAuthenticator {
  constructor(
    _settings: CreateSettings,
    private readonly config: HeadersSetterConfig,
  ) {}

  async start(_host: Host): Promise<void> {}
  async shutdown(): Promise<void> {}

  /** The exporter's headers with every rule applied, in order. */
  clientHeaders(own: Record<string, string>): Record<string, string> {
    const out = { ...own };
    for (const rule of this.config.headers) {
      const present = Object.keys(out).find((k) => k.toLowerCase() === rule.key.toLowerCase());
      const value = rule.value ?? rule.default_value ?? '';
      if (rule.action === 'delete') {
        if (present) delete out[present];
      } else if (rule.action === 'upsert' || (rule.action === 'insert' && !present) || (rule.action === 'update' && present)) {
        if (present) delete out[present];
        out[rule.key] = value;
      }
    }
    return out;
  }
}
