import { GatewayError } from '../../errors.js';
import { MemoryStorageClient, isStorageExtension, type StorageClient } from '../../extensions/storage.js';
import type { Component, CreateSettings, Host, LogsConsumer } from '../../pipeline/component.js';
import { registerSecret } from '../../telemetry/secrets.js';
import { MakeApiClient } from './api-client.js';
import { AuditLogReader } from './audit-logs.js';
import { FALLBACK_REQUESTS_PER_MINUTE, apiBaseUrl, auditLogScope, zoneName, type MakeConfig } from './config.js';
import { IncompleteExecutionsReader } from './incomplete-executions.js';
import type { ResourceContext } from './mapping.js';
import { ScenarioPoller } from './poller.js';
import { MINUTE_MS, RateLimiter, sleep } from './rate-limiter.js';
import { organizationApiLimit, type ScenarioSource } from './scenarios.js';
import { MakeWebhookServer } from './webhook.js';

/** Knobs for tests only (not config keys): a shorter rate window, a fake clock, fast backoff. */
export interface MakeReceiverTestOptions {
  rateWindowMs?: number;
  now?: () => number;
  backoffInitialMs?: number;
}

/** What `apiAccess` hands out. */
export interface MakeApiAccess {
  client: MakeApiClient;
  scenarioSource: ScenarioSource;
  organizationId?: number;
  resource: ResourceContext;
  scenarios?: readonly number[];
}

/**
 * The `make` receiver: a poller of Make's scenario logs (when `api_token` is set) and a webhook
 * endpoint (when `webhook` is set), both producing the same records (mapping.ts).
 */
export class MakeReceiver implements Component {
  private readonly abort = new AbortController();
  private readonly resource: ResourceContext;
  private webhook?: MakeWebhookServer;
  private poller?: Promise<ScenarioPoller | undefined>;
  private auditLogs?: AuditLogReader;
  private incomplete?: IncompleteExecutionsReader;
  private loop?: Promise<void>;
  /** Passes run one at a time; `pollNow` queues behind the running one. */
  private passChain: Promise<void> = Promise.resolve();
  private readonly scenarioNames = new Map<number, string>();
  private started = false;
  private access?: MakeApiAccess;
  private stopped?: Promise<void>;

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: MakeConfig,
    private readonly next: LogsConsumer,
    private readonly testOptions: MakeReceiverTestOptions = {},
  ) {
    registerSecret(config.api_token);
    registerSecret(config.api_token?.replace(/^bearer\s+/i, ''));
    registerSecret(config.webhook?.api_key);
    this.resource = { serviceName: config.service_name, zone: zoneName(config) };
  }

  async start(host: Host): Promise<void> {
    if (this.started) return;
    this.started = true;
    const { settings, config } = this;
    // Resolve storage first: a bad `storage` must fail start before any port is bound.
    const storage = config.api_token ? this.storageClient(host) : undefined;
    if (config.webhook) {
      this.webhook = new MakeWebhookServer({
        receiverId: settings.id,
        config: config.webhook,
        resource: this.resource,
        next: this.next,
        telemetry: settings.telemetry,
        logger: settings.logger,
        scenarioName: (id) => (typeof id === 'number' ? this.scenarioNames.get(id) : undefined),
      });
      try {
        await this.webhook.start();
      } catch (err) {
        throw new GatewayError('COMPONENT_START_FAILED', `${settings.id}: webhook cannot listen on ${config.webhook.endpoint.host}:${config.webhook.endpoint.port}: ${(err as Error).message}`);
      }
    }
    if (storage) {
      this.poller = this.createPoller(storage, this.abort.signal).catch(() => undefined);
      this.loop = this.runPollLoop();
    }
  }

  /**
   * The poller's Make API client, scenario source and mapping context, for export jobs run inside
   * the gateway: they share this receiver's rate limiter (Make's budget is per organization).
   * undefined when the receiver does not poll (no api_token) or could not start polling.
   */
  async apiAccess(): Promise<MakeApiAccess | undefined> {
    await this.poller;
    return this.access;
  }

  /** Runs one poll pass now (after any pass in progress) and resolves when it is done. */
  pollNow(): Promise<void> {
    return this.enqueuePass();
  }

  /** The webhook's bound address, if it runs. */
  webhookAddress() {
    return this.webhook?.address();
  }

  shutdown(): Promise<void> {
    this.stopped ??= (async () => {
      this.abort.abort(new Error('make receiver shutting down'));
      await this.loop?.catch(() => {});
      await this.passChain.catch(() => {});
      await this.webhook?.shutdown();
    })();
    return this.stopped;
  }

  private storageClient(host: Host): StorageClient {
    const { storage } = this.config;
    if (!storage) {
      this.settings.logger.info('make receiver has no storage: cursors live in memory, a restart re-reads initial_lookback');
      return new MemoryStorageClient();
    }
    const ext = host.getExtension(storage);
    if (!isStorageExtension(ext)) {
      throw new GatewayError('COMPONENT_START_FAILED', `${this.settings.id}: storage "${storage}" is not a configured storage extension (file_storage)`);
    }
    return ext.getClient('receiver', this.settings.id);
  }

  private async runPollLoop(): Promise<void> {
    const signal = this.abort.signal;
    try {
      for (;;) {
        const began = Date.now();
        await this.enqueuePass();
        await sleep(Math.max(0, this.config.poll_interval - (Date.now() - began)), signal);
      }
    } catch {
      // Only an abort ends the loop: pass failures are handled per scenario inside the poller.
    }
  }

  private enqueuePass(): Promise<void> {
    const run = this.passChain.then(async () => {
      const poller = await this.poller;
      if (!poller || this.abort.signal.aborted) return;
      await poller.pass(this.abort.signal);
      await this.incomplete?.pass(poller.polledScenarios(), this.abort.signal);
      await this.auditLogs?.pass(this.abort.signal);
    });
    this.passChain = run.catch(() => {});
    return run;
  }

  private async createPoller(storage: StorageClient, signal: AbortSignal): Promise<ScenarioPoller> {
    const { settings, config, testOptions } = this;
    const windowMs = testOptions.rateWindowMs ?? MINUTE_MS;
    // One limiter for every call, the organization lookup included; its rate is set once known.
    const limiter = new RateLimiter(config.requests_per_minute ?? FALLBACK_REQUESTS_PER_MINUTE, windowMs);
    const client = new MakeApiClient({
        baseUrl: apiBaseUrl(config)!,
        token: config.api_token!,
        limiter,
        telemetry: settings.telemetry,
        receiverId: settings.id,
        logger: settings.logger,
      backoffInitialMs: testOptions.backoffInitialMs,
    });
    let rpm = config.requests_per_minute;
    if (rpm === undefined && config.organization_id !== undefined) {
      try {
        rpm = await organizationApiLimit(client, config.organization_id, signal);
      } catch (err) {
        if (signal.aborted) throw err;
        settings.logger.warn('could not read the organization API limit; using the Core plan limit', {
          requests_per_minute: FALLBACK_REQUESTS_PER_MINUTE,
          error: (err as Error).message,
        });
      }
    }
    rpm ??= FALLBACK_REQUESTS_PER_MINUTE;
    limiter.setRate(rpm);
    settings.logger.info('make receiver polling', { requests_per_minute: rpm, poll_interval_ms: config.poll_interval });
    const shared = { receiverId: settings.id, client, organizationId: config.organization_id, resource: this.resource, storage, next: this.next, telemetry: settings.telemetry, logger: settings.logger, now: testOptions.now };
    const auditScope = auditLogScope(config);
    if (auditScope) this.auditLogs = new AuditLogReader({ ...shared, scope: auditScope, config: config.audit_logs!, lookbackMs: config.initial_lookback });
    if (config.incomplete_executions?.enabled) this.incomplete = new IncompleteExecutionsReader(shared);
    const source: ScenarioSource = config.team_id !== undefined ? { teamId: config.team_id } : { organizationId: config.organization_id! };
    this.access = { client, scenarioSource: source, organizationId: config.organization_id, resource: this.resource, scenarios: config.scenarios };
    return new ScenarioPoller({
      receiverId: settings.id,
      client,
      source,
      scenarioFilter: config.scenarios,
      organizationId: config.organization_id,
      resource: this.resource,
      lookbackMs: config.initial_lookback,
      pollIntervalMs: config.poll_interval,
      storage,
      next: this.next,
      telemetry: settings.telemetry,
      logger: settings.logger,
      now: testOptions.now,
      onScenarios: (list) => {
        for (const s of list) if (s.name) this.scenarioNames.set(s.id, s.name);
      },
    });
  }
}
