import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { getRequestListener } from '@hono/node-server';
import { describeEndpoint } from '../../config/types.js';
import type { GatewayConfig } from '../../config/validate.js';
import { GatewayError } from '../../errors.js';
import { startHttpServer, type KitServer } from '../../net/http-server.js';
import type { Component, CreateSettings, Host } from '../../pipeline/component.js';
import { isAuthenticated, type ServerAuthenticator } from '../../receivers/otlp/auth.js';
import { isLoopbackHost, type AdminConfig } from './config.js';
import type { AdminContext } from './context.js';
import { SeriesSampler } from './sampler.js';
import { RollingSeries } from './series.js';
import { ADMIN_MAX_BODY_BYTES, buildAdminApp, withBodyLimit } from './server.js';

/**
 * `admin`: the control plane of a running gateway on one HTTP server (the server kit,
 * src/net/http-server.ts): the API under /api/v1, MCP over HTTP, and whatever else is mounted
 * (mounts.ts). Loopback only unless `auth` is set (config.ts refuses otherwise, and so does start).
 */
export class AdminExtension implements Component {
  private server?: KitServer;
  private sampler?: SeriesSampler;
  private readonly shutdownHooks: (() => void | Promise<void>)[] = [];
  private stopping?: Promise<void>;

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: AdminConfig,
  ) {}

  /** The bound port (useful with port 0). */
  get port(): number {
    return this.server?.port ?? 0;
  }

  async start(host: Host): Promise<void> {
    const keyPath = `extensions.${this.settings.id}`;
    const gateway = host.gateway;
    if (!gateway) throw new GatewayError('COMPONENT_START_FAILED', `${keyPath}: the admin extension needs the running gateway (host.gateway)`);
    const auth = this.resolveAuth(host, keyPath);
    if (!auth && !isLoopbackHost(this.config.endpoint.host)) {
      throw new GatewayError('COMPONENT_START_FAILED', `${keyPath}.auth: required when the endpoint is not loopback (${this.config.endpoint.host})`);
    }
    const series = new RollingSeries();
    const ctx: AdminContext = {
      gateway,
      telemetry: this.settings.telemetry,
      series,
      version: packageVersion(),
      startedAtMs: Date.now(),
      configHash: configHash(gateway.config),
      logger: this.settings.logger,
      authenticate: (headers) => isAuthenticated(auth, headers),
      onShutdown: (hook) => this.shutdownHooks.push(hook),
    };
    const app = buildAdminApp(ctx, { cors: this.config.cors });
    // Not overriding the global Request/Response: exporters in this process use undici's.
    const listener = getRequestListener(app.fetch, { overrideGlobalObjects: false });
    this.server = await startHttpServer({
      name: this.settings.id,
      keyPath,
      endpoint: this.config.endpoint,
      tls: this.config.tls,
      maxConnections: this.config.max_connections,
      maxBodyBytes: ADMIN_MAX_BODY_BYTES,
      telemetry: this.settings.telemetry,
      logger: this.settings.logger,
      handler: withBodyLimit(listener, ADMIN_MAX_BODY_BYTES),
    });
    this.sampler = new SeriesSampler(gateway, this.settings.telemetry, series);
    this.sampler.start();
    this.settings.logger.info('admin API listening', { endpoint: describeEndpoint(this.config.endpoint, this.port), tls: this.server.tls, auth: auth !== undefined });
  }

  shutdown(): Promise<void> {
    this.stopping ??= (async () => {
      this.sampler?.stop();
      await this.server?.shutdown();
      for (const hook of this.shutdownHooks.splice(0)) {
        try {
          await hook();
        } catch (err) {
          this.settings.logger.warn('admin shutdown hook failed', { error: (err as Error).message });
        }
      }
    })();
    return this.stopping;
  }

  private resolveAuth(host: Host, keyPath: string): ServerAuthenticator | undefined {
    const id = this.config.auth?.authenticator;
    if (id === undefined) return undefined;
    const ext = host.getExtension(id) as Partial<ServerAuthenticator> | undefined;
    if (!ext) throw new GatewayError('COMPONENT_START_FAILED', `${keyPath}.auth.authenticator: extension "${id}" is not configured (add it under extensions and service.extensions)`);
    if (typeof ext.authenticate !== 'function') throw new GatewayError('COMPONENT_START_FAILED', `${keyPath}.auth.authenticator: extension "${id}" is not an authenticator`);
    return ext as ServerAuthenticator;
  }
}

let version: string | undefined;
function packageVersion(): string {
  version ??= (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return version;
}

/**
 * sha256 over the components' validated configs and the service section: equal configs give equal
 * hashes across restarts and replicas. The hash reveals nothing of the secrets inside.
 */
export function configHash(config: GatewayConfig): string {
  const section = (m: GatewayConfig['receivers']) => [...m.values()].map((c) => [c.id, c.config]).sort(([a], [b]) => String(a).localeCompare(String(b)));
  const doc = { receivers: section(config.receivers), processors: section(config.processors), exporters: section(config.exporters), extensions: section(config.extensions), service: config.service };
  return createHash('sha256').update(stableJson(doc)).digest('hex');
}

function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (typeof v === 'function') return undefined;
    if (v instanceof RegExp) return v.source;
    if (v instanceof Map) return Object.fromEntries([...v.entries()].sort());
    if (v instanceof Set) return [...v].sort();
    if (v && typeof v === 'object' && !Array.isArray(v)) return Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)));
    return v;
  });
}
