import { z } from 'zod';
import { duration } from '../../../config/types.js';
import { checkNatsAuth, natsConnectionShape, natsUrl, DEFAULT_NATS_URL } from '../../../exporters/nats/connection.js';

/**
 * The `make` receiver's `lease` block (docs/scaling.md): which backend decides the one replica
 * that polls an organization. `none` (the default) keeps the single-replica behaviour.
 */

export const DEFAULT_LEASE_TTL_MS = 15_000;
export const DEFAULT_LEASE_BUCKET = 'make-otel-gateway-leases';

const KV_BUCKET_RE = /^[a-zA-Z0-9_-]+$/;
/** A Kubernetes object name (RFC 1123 subdomain). */
const K8S_NAME_RE = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

export const leaseConfigSchema = z
  .strictObject({
    backend: z.enum(['none', 'nats', 'kubernetes']).default('none'),
    // Below 3 s a renewal every ttl/3 would chase the network's own latency.
    ttl: duration().default(DEFAULT_LEASE_TTL_MS).refine((ms) => ms >= 3_000, 'expected at least "3s"'),
    // NATS JetStream KV (the connection keys are the nats exporter's, docs/nats.md).
    url: natsUrl().optional(),
    bucket: z.string().regex(KV_BUCKET_RE, 'a NATS KV bucket name has only letters, digits, - and _').default(DEFAULT_LEASE_BUCKET),
    token: natsConnectionShape.token,
    user: natsConnectionShape.user,
    password: natsConnectionShape.password,
    creds_file: natsConnectionShape.creds_file,
    nkey_file: natsConnectionShape.nkey_file,
    tls: natsConnectionShape.tls,
    // Kubernetes Lease (coordination.k8s.io/v1), through the pod's service account.
    namespace: z.string().regex(K8S_NAME_RE, 'expected a Kubernetes namespace name').optional(),
    name: z.string().regex(K8S_NAME_RE, 'expected a Kubernetes object name (lowercase letters, digits, - and .)').optional(),
  })
  .superRefine((c, ctx) => {
    const natsKeys = (['url', 'token', 'user', 'password', 'creds_file', 'nkey_file', 'tls'] as const).filter((k) => c[k] !== undefined);
    const k8sKeys = (['namespace', 'name'] as const).filter((k) => c[k] !== undefined);
    if (c.backend !== 'nats' && natsKeys.length > 0) {
      ctx.addIssue({ code: 'custom', path: [natsKeys[0]], message: `${natsKeys.join(', ')} ${natsKeys.length > 1 ? 'apply' : 'applies'} only to backend: nats (backend is ${c.backend})` });
    }
    if (c.backend !== 'kubernetes' && k8sKeys.length > 0) {
      ctx.addIssue({ code: 'custom', path: [k8sKeys[0]], message: `${k8sKeys.join(', ')} ${k8sKeys.length > 1 ? 'apply' : 'applies'} only to backend: kubernetes (backend is ${c.backend})` });
    }
    if (c.backend === 'nats') checkNatsAuth({ ...c, url: c.url ?? DEFAULT_NATS_URL, stream: '', subject: '' }, ctx);
  });

export type LeaseConfig = z.output<typeof leaseConfigSchema>;
