import type { Component, CreateSettings, Host } from '../../pipeline/component.js';
import type { ClientAuthenticator } from '../client-auth.js';
import { currentRequestContext } from '../../pipeline/request-context.js';
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

  /**
   * The incoming requests' metadata keys its `from_context` rules read (lower-cased): the exporter
   * keeps these, and only these, with each queued request (src/pipeline/request-context.ts).
   * The receiver must have `include_metadata: true` for them to be there.
   */
  contextKeys(): string[] {
    return [...new Set(this.config.headers.flatMap((r) => (r.from_context !== undefined ? [r.from_context.toLowerCase()] : [])))];
  }

  async shutdown(): Promise<void> {}

  /** The exporter's headers with every rule applied, in order. */
  clientHeaders(own: Record<string, string>): Record<string, string> {
    const out = { ...own };
    const context = currentRequestContext();
    for (const rule of this.config.headers) {
      const present = Object.keys(out).find((k) => k.toLowerCase() === rule.key.toLowerCase());
      const fromContext = rule.from_context !== undefined ? context?.get(rule.from_context.toLowerCase()) : undefined;
      const value = rule.from_context !== undefined ? (fromContext ?? rule.default_value) : (rule.value ?? rule.default_value);
      // A from_context header the request did not carry, with no default: not set (as contrib).
      if (value === undefined && rule.action !== 'delete') continue;
      if (rule.action === 'delete') {
        if (present) delete out[present];
      } else if (rule.action === 'upsert' || (rule.action === 'insert' && !present) || (rule.action === 'update' && present)) {
        if (present) delete out[present];
        out[rule.key] = value!;
      }
    }
    return out;
  }
}
