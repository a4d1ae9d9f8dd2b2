import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { LeaseConfig } from './config.js';
import type { LeaseBackend } from './elector.js';
import { KubernetesLeaseBackend } from './kubernetes-backend.js';
import { NatsLeaseBackend } from './nats-backend.js';

/**
 * The lease's key: one per Make organization (or team, when no organization is configured) and
 * zone, so replicas with the same receiver config contend for the same lease and receivers of
 * different organizations never do.
 */
export function leaseKey(zoneOrHost: string | undefined, organizationId?: number, teamId?: number): string {
  const scope = organizationId !== undefined ? `org-${organizationId}` : `team-${teamId}`;
  const zone = (zoneOrHost ?? 'make').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  return `${zone}-${scope}`;
}

/** Who holds the lease, as the logs and the Lease object show it: pod (host) name, pid, a nonce. */
export function leaseIdentity(): string {
  return `${process.env.POD_NAME ?? hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

export async function openLeaseBackend(config: LeaseConfig, key: string, clientName: string): Promise<LeaseBackend> {
  if (config.backend === 'nats') return NatsLeaseBackend.open(config, key, clientName);
  if (config.backend === 'kubernetes') return KubernetesLeaseBackend.open(config, key);
  throw new Error(`lease backend ${config.backend} has nothing to open`);
}
