import { GatewayError } from '../errors.js';
import type { GatewayConfig } from '../config/validate.js';
import { MakeApiClient } from '../receivers/make/api-client.js';
import { FALLBACK_REQUESTS_PER_MINUTE, apiBaseUrl, zoneName, type MakeConfig } from '../receivers/make/config.js';
import type { ResourceContext } from '../receivers/make/mapping.js';
import { MINUTE_MS, RateLimiter } from '../receivers/make/rate-limiter.js';
import { organizationApiLimit, type ScenarioSource } from '../receivers/make/scenarios.js';
import { registerSecret } from '../telemetry/secrets.js';
import type { Logger } from '../telemetry/logger.js';
import type { Telemetry } from '../telemetry/telemetry.js';

/**
 * What an export reads from: a configured `make` receiver's API access (token, zone/base_url,
 * team/organization, rate limit) and its mapping context. Inside a running gateway the receiver
 * hands out its own client, so exports share its per-organization rate budget; a standalone
 * process (CLI, MCP server) builds a client from the same config block.
 */
export interface MakeSource {
  client: MakeApiClient;
  scenarioSource: ScenarioSource;
  organizationId?: number;
  resource: ResourceContext;
  /** The receiver's `scenarios` list, the default selection when a job names none. */
  scenarios?: readonly number[];
}

/** `make`, `make/NAME`, or the only make receiver of the config when none is named. */
export function resolveReceiverId(config: GatewayConfig, requested?: string): string {
  const makes = [...config.receivers.values()].filter((r) => r.type === 'make').map((r) => r.id);
  if (requested !== undefined) {
    const r = config.receivers.get(requested);
    if (!r || r.type !== 'make') throw new GatewayError('CONFIG_INVALID', `receiver "${requested}" is not a configured make receiver (configured: ${makes.join(', ') || 'none'})`);
    return requested;
  }
  if (makes.length === 1) return makes[0];
  throw new GatewayError('CONFIG_INVALID', makes.length === 0 ? 'the configuration has no make receiver to export from' : `several make receivers are configured (${makes.join(', ')}); name one with --receiver`);
}

export function makeConfigOf(config: GatewayConfig, receiverId: string): MakeConfig {
  const c = config.receivers.get(receiverId)?.config as MakeConfig | undefined;
  if (!c) throw new GatewayError('CONFIG_INVALID', `receiver "${receiverId}" is not configured`);
  if (!c.api_token) throw new GatewayError('CONFIG_INVALID', `receivers.${receiverId}: exports read the Make API and need api_token`);
  return c;
}

export function scenarioSourceOf(c: MakeConfig): ScenarioSource {
  return c.team_id !== undefined ? { teamId: c.team_id } : { organizationId: c.organization_id! };
}

export interface StandaloneSourceOptions {
  telemetry: Telemetry;
  logger: Logger;
  /** Tests: a shorter rate window. */
  rateWindowMs?: number;
}

/** A client of its own, paced like the receiver's (configured rate, else the organization's). */
export async function standaloneSource(config: GatewayConfig, receiverId: string, o: StandaloneSourceOptions, signal: AbortSignal): Promise<MakeSource> {
  const c = makeConfigOf(config, receiverId);
  registerSecret(c.api_token);
  registerSecret(c.api_token?.replace(/^bearer\s+/i, ''));
  const limiter = new RateLimiter(c.requests_per_minute ?? FALLBACK_REQUESTS_PER_MINUTE, o.rateWindowMs ?? MINUTE_MS);
  const client = new MakeApiClient({ baseUrl: apiBaseUrl(c)!, token: c.api_token!, limiter, telemetry: o.telemetry, receiverId, logger: o.logger });
  let rpm = c.requests_per_minute;
  if (rpm === undefined && c.organization_id !== undefined) {
    rpm = await organizationApiLimit(client, c.organization_id, signal).catch((err: unknown) => {
      if (signal.aborted) throw err;
      return undefined;
    });
  }
  limiter.setRate(rpm ?? FALLBACK_REQUESTS_PER_MINUTE);
  return {
    client,
    scenarioSource: scenarioSourceOf(c),
    organizationId: c.organization_id,
    resource: { serviceName: c.service_name, zone: zoneName(c) },
    scenarios: c.scenarios,
  };
}
