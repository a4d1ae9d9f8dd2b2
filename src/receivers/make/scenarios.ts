import { MakeApiError, type MakeApiClient } from './api-client.js';

/** The scenario fields the receiver uses (`GET /scenarios` returns many more). */
export interface MakeScenario {
  id: number;
  name?: string;
  teamId?: number;
  isActive?: boolean;
}

/** Make lists scenarios by exactly one of team or organization. */
export type ScenarioSource = { teamId: number } | { organizationId: number };

/** Scenarios per listing page. */
export const SCENARIO_PAGE_LIMIT = 100;
/** A guard against a server that never returns a short page. */
const MAX_SCENARIO_PAGES = 1_000;

export async function listScenarios(client: MakeApiClient, source: ScenarioSource, signal: AbortSignal): Promise<MakeScenario[]> {
  const out: MakeScenario[] = [];
  const filter = 'teamId' in source ? { teamId: source.teamId } : { organizationId: source.organizationId };
  for (let page = 0; page < MAX_SCENARIO_PAGES; page++) {
    const body = await client.get<{ scenarios?: unknown }>(
      '/scenarios',
      { ...filter, 'pg[offset]': page * SCENARIO_PAGE_LIMIT, 'pg[limit]': SCENARIO_PAGE_LIMIT },
      signal,
    );
    if (!Array.isArray(body.scenarios)) throw new MakeApiError('/scenarios', 200, 'answered without a scenarios array');
    for (const s of body.scenarios as Partial<MakeScenario>[]) {
      if (s && typeof s.id === 'number') out.push({ id: s.id, name: typeof s.name === 'string' ? s.name : undefined, teamId: s.teamId, isActive: s.isActive });
    }
    if (body.scenarios.length < SCENARIO_PAGE_LIMIT) break;
  }
  return out;
}

/** `organization.license.apiLimit` (requests per minute) of `GET /organizations/{id}`, if present. */
export async function organizationApiLimit(client: MakeApiClient, organizationId: number, signal: AbortSignal): Promise<number | undefined> {
  const body = await client.get<{ organization?: { license?: { apiLimit?: unknown } } }>(`/organizations/${organizationId}`, {}, signal);
  const limit = body.organization?.license?.apiLimit;
  return typeof limit === 'number' && Number.isFinite(limit) && limit > 0 ? limit : undefined;
}
