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
import { componentGauge } from '../../telemetry/component-metrics.js';
import { LeaseElector, type LeaseBackend } from './lease/elector.js';
import { leaseIdentity, leaseKey, openLeaseBackend } from './lease/open.js';

export const LEASE_HELD_GAUGE = 'gateway_make_lease_held';

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
  /** The Make API client and what it learned at start (rate, organization). */
  private api?: Promise<MakeApiAccess | undefined>;
  /** The readers of the running term (always, without a lease) and the signal that ends it. */
  private current?: { readers: Promise<PollReaders | undefined>; signal: AbortSignal };
  private elector?: LeaseElector;
  private loop?: Promise<void>;
  /** Passes run one at a time; `pollNow` queues behind the running one. */
  private passChain: Promise<void> = Promise.resolve();
  private readonly scenarioNames = new Map<number, string>();
  private started = false;
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
    const leased = config.lease !== undefined && config.lease.backend !== 'none';
    const storage = config.api_token && !leased ? this.storageClient(host) : undefined;
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
    if (config.api_token) await this.startPolling(storage);
  }

  /**
   * Without a lease every pass runs here. With one (docs/scaling.md) passes run only during this
   * replica's term, on readers built afresh for each term from the cursors the lease backend
   * holds: the previous holder may have moved them since this replica last polled.
   */
  private async startPolling(storage: StorageClient | undefined): Promise<void> {
    const { config, settings } = this;
    this.api = this.createApi(this.abort.signal).catch(() => undefined);
    const lease = config.lease;
    if (!lease || lease.backend === 'none') {
      const cursors = storage ?? new MemoryStorageClient();
      this.current = { readers: this.api.then((api) => api && this.createReaders(api, cursors)), signal: this.abort.signal };
      this.loop = this.runPollLoop();
      return;
    }
    if (config.storage) settings.logger.warn('make receiver: with a lease the cursors live in the lease backend, not in storage', { storage: config.storage, lease: lease.backend });
    const key = leaseKey(zoneName(config), config.organization_id, config.team_id);
    let backend: LeaseBackend;
    try {
      backend = await openLeaseBackend(lease, key, `make-otel-gateway ${settings.id}`);
    } catch (err) {
      throw new GatewayError('COMPONENT_START_FAILED', `${settings.id}: lease backend ${lease.backend}: ${(err as Error).message}`);
    }
    const held = componentGauge(settings.telemetry.registry, LEASE_HELD_GAUGE, 'Whether this replica holds the make receiver\'s lease and polls (1) or waits (0).', ['receiver']);
    held.set({ receiver: settings.id }, 0);
    const elector: LeaseElector = new LeaseElector({
      backend,
      identity: leaseIdentity(),
      ttlMs: lease.ttl,
      logger: settings.logger,
      onLeading: (term) => {
        held.set({ receiver: settings.id }, 1);
        term.addEventListener('abort', () => held.set({ receiver: settings.id }, 0));
        const signal = AbortSignal.any([this.abort.signal, term]);
        const cursors = backend.cursorStore(() => elector.leading && !term.aborted);
        const current = { readers: this.api!.then((api) => api && this.createReaders(api, cursors)), signal };
        this.current = current;
        term.addEventListener('abort', () => {
          if (this.current === current) this.current = undefined;
        });
        void this.enqueuePass();
      },
    });
    this.elector = elector;
    elector.start();
    this.loop = this.runPollLoop();
  }

  /**
   * The poller's Make API client, scenario source and mapping context, for export jobs run inside
   * the gateway: they share this receiver's rate limiter (Make's budget is per organization).
   * undefined when the receiver does not poll (no api_token) or could not start polling.
   */
  async apiAccess(): Promise<MakeApiAccess | undefined> {
    return this.api;
  }

  /** Whether this replica polls now: always without a lease, only while holding it with one. */
  get polling(): boolean {
    return this.current !== undefined;
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
      await this.elector?.stop();
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
      const current = this.current;
      const readers = await current?.readers;
      if (!current || !readers || current.signal.aborted) return;
      const { signal } = current;
      await readers.poller.pass(signal);
      await readers.incomplete?.pass(readers.poller.polledScenarios(), signal);
      await readers.auditLogs?.pass(signal);
    });
    this.passChain = run.catch(() => {});
    return run;
  }

  /** The Make API client, with the organization's request budget read once at start. */
  private async createApi(signal: AbortSignal): Promise<MakeApiAccess> {
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
    settings.logger.info('make receiver polling', { requests_per_minute: rpm, poll_interval_ms: config.poll_interval, lease: config.lease?.backend ?? 'none' });
    const source: ScenarioSource = config.team_id !== undefined ? { teamId: config.team_id } : { organizationId: config.organization_id! };
    return { client, scenarioSource: source, organizationId: config.organization_id, resource: this.resource, scenarios: config.scenarios };
  }

  /** The scenario poller and the audit/incomplete readers, on one cursor store. */
  private createReaders(api: MakeApiAccess, storage: StorageClient): PollReaders {
    const { settings, config, testOptions } = this;
    const shared = { receiverId: settings.id, client: api.client, organizationId: config.organization_id, resource: this.resource, storage, next: this.next, telemetry: settings.telemetry, logger: settings.logger, now: testOptions.now };
    const auditScope = auditLogScope(config);
    return {
      auditLogs: auditScope ? new AuditLogReader({ ...shared, scope: auditScope, config: config.audit_logs!, lookbackMs: config.initial_lookback }) : undefined,
      incomplete: config.incomplete_executions?.enabled ? new IncompleteExecutionsReader(shared) : undefined,
      poller: new ScenarioPoller({
        receiverId: settings.id,
        client: api.client,
        source: api.scenarioSource,
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
      }),
    };
  }
}

interface PollReaders {
  poller: ScenarioPoller;
  auditLogs?: AuditLogReader;
  incomplete?: IncompleteExecutionsReader;
}
