import { describe, expect, it } from 'vitest';
import { makeConfigSchema } from '../../../../src/receivers/make/config.js';
import { leaseKey } from '../../../../src/receivers/make/lease/open.js';

const base = { api_token: 'tok', zone: 'eu1.make.com', organization_id: 12 };
const messages = (input: unknown) => {
  const r = makeConfigSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('make receiver lease config', () => {
  it('defaults to no lease, and to ttl 15s and the documented bucket when one is set', () => {
    expect(makeConfigSchema.parse(base).lease).toBeUndefined();
    const lease = makeConfigSchema.parse({ ...base, lease: { backend: 'nats', url: 'nats://nats:4222' } }).lease!;
    expect(lease).toMatchObject({ backend: 'nats', ttl: 15_000, bucket: 'make-otel-gateway-leases', url: 'nats://nats:4222' });
    expect(makeConfigSchema.parse({ ...base, lease: { backend: 'kubernetes', namespace: 'obs', name: 'make-poller' } }).lease).toMatchObject({ namespace: 'obs', name: 'make-poller' });
  });

  it('refuses keys of another backend, a ttl under 3s, and a lease without polling', () => {
    expect(messages({ ...base, lease: { backend: 'kubernetes', url: 'nats://x:4222' } })).toEqual([expect.stringMatching(/lease\.url: url applies only to backend: nats/)]);
    expect(messages({ ...base, lease: { backend: 'nats', namespace: 'obs' } })).toEqual([expect.stringMatching(/applies only to backend: kubernetes/)]);
    expect(messages({ ...base, lease: { backend: 'nats', ttl: '1s' } })).toEqual([expect.stringMatching(/lease\.ttl: expected at least "3s"/)]);
    expect(messages({ ...base, lease: { backend: 'etcd' } })[0]).toMatch(/lease\.backend/);
    const webhookOnly = { webhook: { endpoint: '0.0.0.0:8088', api_key: 'k' }, lease: { backend: 'nats' } };
    expect(messages(webhookOnly)).toEqual([expect.stringMatching(/lease: a lease decides who polls: it needs api_token/)]);
    expect(messages({ ...base, lease: { backend: 'kubernetes', name: 'Bad_Name' } })[0]).toMatch(/lease\.name: expected a Kubernetes object name/);
  });

  it('keys one lease per organization (or team) and zone', () => {
    expect(leaseKey('eu1.make.com', 12)).toBe('eu1-make-com-org-12');
    expect(leaseKey('eu1.make.com', undefined, 7)).toBe('eu1-make-com-team-7');
    expect(leaseKey('127.0.0.1:8080', 12)).not.toBe(leaseKey('127.0.0.1:8081', 12));
  });
});
