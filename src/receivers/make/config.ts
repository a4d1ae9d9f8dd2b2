import { z } from 'zod';
import { byteSize, duration, httpUrl, parseHostPort, tlsServer, type HostPort } from '../../config/types.js';
import { secret } from '../../config/secrets.js';
import { maxConnections } from '../../net/config.js';
import { leaseConfigSchema } from './lease/config.js';

/** Make's public zones (docs/make-receiver.md); the API lives at `https://{zone}/api/v2`. */
export const MAKE_ZONES = [
  'eu1.make.com',
  'eu2.make.com',
  'us1.make.com',
  'us2.make.com',
  'eu1.make.celonis.com',
  'us1.make.celonis.com',
] as const;

/** Make's scenario schedules run at most once a minute on most plans; polling faster buys nothing. */
export const DEFAULT_POLL_INTERVAL_MS = 60_000;
/** A day back on first start: enough to pick up a night's executions, small enough not to flood. */
export const DEFAULT_INITIAL_LOOKBACK_MS = 24 * 3_600_000;
/** The Core plan's API limit: the safe choice when the organization's own limit cannot be read. */
export const FALLBACK_REQUESTS_PER_MINUTE = 60;
export const DEFAULT_SERVICE_NAME = 'make';
export const DEFAULT_WEBHOOK_PATH = '/';
/** Make's HTTP module retries within minutes; an hour covers retries and a re-run error route. */
export const DEFAULT_WEBHOOK_DEDUP_WINDOW_MS = 3_600_000;

/** Make ids are integers; YAML with `${env:…}` expansion hands them over as strings. */
const makeId = () =>
  z.union([z.number(), z.string()]).transform((v, ctx) => {
    const n = typeof v === 'number' ? v : /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
    if (!Number.isSafeInteger(n) || n <= 0) {
      ctx.addIssue({ code: 'custom', message: `expected a positive integer id, got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    return n;
  });

const endpoint = () =>
  z.string().transform((v, ctx): HostPort => {
    const parsed = parseHostPort(v);
    if (!parsed) {
      ctx.addIssue({ code: 'custom', message: `expected host:port like "0.0.0.0:8088", got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    return parsed;
  });

const webhookSchema = z.strictObject({
  endpoint: endpoint(),
  path: z
    .string()
    .default(DEFAULT_WEBHOOK_PATH)
    .refine((p) => p.startsWith('/'), 'expected a path starting with "/"'),
  api_key: z.string().min(1, 'expected a non-empty api key').pipe(secret()),
  dedup_window: duration().default(DEFAULT_WEBHOOK_DEDUP_WINDOW_MS),
  /** The server `tls` block (cert_file, key_file, client_ca_file, min_version), as on the OTLP receiver. */
  tls: tlsServer(),
  max_connections: maxConnections(),
  /** Bigger bodies are refused with 413 (the name of the Collector's confighttp key); default 10 MiB. */
  max_request_body_size: byteSize().optional(),
});

/** `/audit-logs/v2/organization/{id}` or `/team/{id}`; the id defaults to the receiver's own. */
const auditLogsSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    organization_id: makeId().optional(),
    team_id: makeId().optional(),
    /** Make event names to keep (`scenario_created`, …); empty or absent = all. */
    events: z.array(z.string().min(1)).default([]),
    /** Actor name and email are personal data: off unless asked for. */
    include_actor_identity: z.boolean().default(false),
  })
  .refine((a) => !(a.organization_id !== undefined && a.team_id !== undefined), { message: 'set either organization_id or team_id, not both', path: ['team_id'] });

const incompleteExecutionsSchema = z.strictObject({ enabled: z.boolean().default(true) });

export const makeConfigSchema = z
  .strictObject({
    api_token: z.string().min(1, 'expected a non-empty Make API token').optional(),
    // null clears a zone set by an earlier --config (a later file switches to base_url).
    zone: z.enum(MAKE_ZONES).nullish().transform((v) => v ?? undefined),
    base_url: httpUrl().nullish().transform((v) => v ?? undefined),
    team_id: makeId().optional(),
    organization_id: makeId().optional(),
    scenarios: z.array(makeId()).optional(),
    poll_interval: duration().default(DEFAULT_POLL_INTERVAL_MS).refine((ms) => ms >= 1000, 'expected at least "1s"'),
    initial_lookback: duration().default(DEFAULT_INITIAL_LOOKBACK_MS),
    requests_per_minute: z.number().int().positive().optional(),
    storage: z.string().min(1).optional(),
    service_name: z.string().min(1).default(DEFAULT_SERVICE_NAME),
    webhook: webhookSchema.optional(),
    audit_logs: auditLogsSchema.optional(),
    incomplete_executions: incompleteExecutionsSchema.optional(),
    /** One poller per organization across replicas (docs/scaling.md); `backend: none` by default. */
    lease: leaseConfigSchema.optional(),
  })
  .superRefine((c, ctx) => {
    if (c.api_token === undefined && c.webhook === undefined) {
      ctx.addIssue({ code: 'custom', message: 'set api_token (to poll the Make API), webhook (to receive pushes), or both' });
    }
    if (c.zone !== undefined && c.base_url !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['base_url'], message: 'set either zone or base_url, not both' });
    }
    if (c.api_token !== undefined) {
      if (c.zone === undefined && c.base_url === undefined) {
        ctx.addIssue({ code: 'custom', path: ['zone'], message: `polling needs zone (one of ${MAKE_ZONES.join(', ')}) or base_url` });
      }
      if (c.team_id === undefined && c.organization_id === undefined) {
        ctx.addIssue({ code: 'custom', path: ['team_id'], message: 'polling needs team_id or organization_id (or both)' });
      }
    }
    const audit = c.audit_logs;
    if (audit?.enabled) {
      if (c.api_token === undefined) ctx.addIssue({ code: 'custom', path: ['audit_logs'], message: 'audit_logs needs api_token' });
      if (audit.organization_id === undefined && audit.team_id === undefined && c.organization_id === undefined && c.team_id === undefined) {
        ctx.addIssue({ code: 'custom', path: ['audit_logs', 'organization_id'], message: 'audit_logs needs organization_id or team_id (its own or the receiver\'s)' });
      }
    }
    if (c.lease && c.lease.backend !== 'none' && c.api_token === undefined) {
      ctx.addIssue({ code: 'custom', path: ['lease'], message: 'a lease decides who polls: it needs api_token (webhooks run on every replica)' });
    }
    if (c.incomplete_executions?.enabled && c.api_token === undefined) {
      ctx.addIssue({ code: 'custom', path: ['incomplete_executions'], message: 'incomplete_executions needs api_token' });
    }
  });

export type MakeConfig = z.output<typeof makeConfigSchema>;
export type MakeWebhookConfig = NonNullable<MakeConfig['webhook']>;
export type MakeAuditLogsConfig = NonNullable<MakeConfig['audit_logs']>;

/** Where audit logs are read: the section's own id, else the receiver's organization, else its team. */
export function auditLogScope(c: MakeConfig): { kind: 'organization' | 'team'; id: number } | undefined {
  const a = c.audit_logs;
  if (!a?.enabled) return undefined;
  if (a.organization_id !== undefined) return { kind: 'organization', id: a.organization_id };
  if (a.team_id !== undefined) return { kind: 'team', id: a.team_id };
  if (c.organization_id !== undefined) return { kind: 'organization', id: c.organization_id };
  if (c.team_id !== undefined) return { kind: 'team', id: c.team_id };
  return undefined;
}

/** `https://{zone}/api/v2`, or the private base_url without a trailing slash. */
export function apiBaseUrl(config: MakeConfig): string | undefined {
  if (config.base_url) return config.base_url.replace(/\/+$/, '');
  if (config.zone) return `https://${config.zone}/api/v2`;
  return undefined;
}

/** The `make.zone` resource attribute: the zone, or the host of a private base_url. */
export function zoneName(config: MakeConfig): string | undefined {
  if (config.zone) return config.zone;
  if (config.base_url) return new URL(config.base_url).host;
  return undefined;
}
