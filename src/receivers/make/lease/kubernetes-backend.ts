import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import type { StorageClient } from '../../../extensions/storage.js';
import { redact, registerSecret } from '../../../telemetry/secrets.js';
import type { LeaseConfig } from './config.js';
import type { LeaseBackend, LeaseRecord } from './elector.js';

/**
 * The lease as a Kubernetes `coordination.k8s.io/v1` Lease, reached with the pod's service
 * account (in-cluster config: `KUBERNETES_SERVICE_HOST`/`_PORT`, the token, CA and namespace
 * files). Compare-and-set is the API server's optimistic concurrency: a PUT carries the
 * `resourceVersion` last read and is refused with 409 when the object changed since.
 *
 * The cursors travel with the lease in one annotation of the same object, written by the holder
 * with the same compare-and-set, so a replica that takes over reads them with the lease. (An
 * object's annotations are limited to 256 KiB in total: enough for hundreds of scenarios' cursors.)
 *
 * The service-account directory can be moved with `MAKE_OTEL_GATEWAY_SERVICE_ACCOUNT_DIR`, for
 * a gateway run outside a pod against a cluster's API (and for the tests).
 */

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
export const CURSORS_ANNOTATION = 'make-otel-gateway.io/cursors';

interface LeaseObject {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string; annotations?: Record<string, string> };
  spec: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string; leaseTransitions?: number };
}

export class KubernetesLeaseBackend implements LeaseBackend {
  readonly description: string;
  /** The object as last read or written: the base of every PUT. */
  private last?: LeaseObject;
  /** PUTs one at a time: a renewal and a cursor write must not race on resourceVersion. */
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly apiServer: string,
    private readonly saDir: string,
    private readonly agent: Agent,
    private readonly namespace: string,
    private readonly name: string,
    private readonly ttlSeconds: number,
  ) {
    this.description = `kubernetes lease ${namespace}/${name}`;
  }

  static async open(config: LeaseConfig, key: string, env: NodeJS.ProcessEnv = process.env): Promise<KubernetesLeaseBackend> {
    const host = env.KUBERNETES_SERVICE_HOST;
    if (!host) throw new Error('lease backend kubernetes needs the in-cluster API address (KUBERNETES_SERVICE_HOST is not set: not running in a pod?)');
    const port = env.KUBERNETES_SERVICE_PORT ?? '443';
    const saDir = env.MAKE_OTEL_GATEWAY_SERVICE_ACCOUNT_DIR ?? SERVICE_ACCOUNT_DIR;
    const ca = await readFile(join(saDir, 'ca.crt')).catch((err: NodeJS.ErrnoException) => {
      throw new Error(`cannot read the service account CA ${join(saDir, 'ca.crt')}: ${err.code ?? err.message}`);
    });
    const namespace = config.namespace ?? (await readFile(join(saDir, 'namespace'), 'utf8').catch(() => '')).trim();
    if (!namespace) throw new Error(`lease backend kubernetes needs namespace (not set, and ${join(saDir, 'namespace')} is unreadable)`);
    const name = config.name ?? `make-otel-gateway-${key}`.toLowerCase().replace(/[^a-z0-9.-]/g, '-');
    const hostPart = host.includes(':') ? `[${host}]` : host;
    const agent = new Agent({ connect: { ca }, keepAliveTimeout: 30_000 });
    return new KubernetesLeaseBackend(`https://${hostPart}:${port}`, saDir, agent, namespace, name, Math.ceil(config.ttl / 1000));
  }

  async read(): Promise<LeaseRecord | undefined> {
    const res = await this.call('GET', this.objectPath());
    if (res.status === 404) return undefined;
    const obj = expectObject(res, 200);
    this.last = obj;
    return record(obj);
  }

  async create(holder: string): Promise<LeaseRecord | undefined> {
    const now = microTime();
    const body: LeaseObject = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.name, namespace: this.namespace },
      spec: { holderIdentity: holder, leaseDurationSeconds: this.ttlSeconds, acquireTime: now, renewTime: now, leaseTransitions: 0 },
    };
    const res = await this.call('POST', this.collectionPath(), body);
    if (res.status === 409) return undefined;
    const obj = expectObject(res, 201);
    this.last = obj;
    return record(obj);
  }

  update(prev: LeaseRecord, holder: string): Promise<LeaseRecord | undefined> {
    return this.serial(async () => {
      const base = this.last;
      if (!base || base.metadata.resourceVersion !== prev.version) return undefined;
      const now = microTime();
      const takeover = base.spec.holderIdentity !== holder;
      const spec = {
        ...base.spec,
        holderIdentity: holder,
        leaseDurationSeconds: this.ttlSeconds,
        renewTime: now,
        ...(takeover ? { acquireTime: now, leaseTransitions: (base.spec.leaseTransitions ?? 0) + 1 } : {}),
      };
      const obj = await this.put({ ...base, spec });
      return obj ? record(obj) : undefined;
    });
  }

  async release(prev: LeaseRecord): Promise<void> {
    await this.serial(async () => {
      const base = this.last;
      if (!base || base.metadata.resourceVersion !== prev.version) return;
      // As client-go releases: no holder, so the next candidate takes it at once.
      await this.put({ ...base, spec: { ...base.spec, holderIdentity: '', leaseDurationSeconds: 1 } });
    });
  }

  cursorStore(holding: () => boolean): StorageClient {
    const cursors = (): Record<string, string> => {
      try {
        return JSON.parse(this.last?.metadata.annotations?.[CURSORS_ANNOTATION] ?? '{}') as Record<string, string>;
      } catch {
        return {};
      }
    };
    const write = (change: (c: Record<string, string>) => void) =>
      this.serial(async () => {
        // A replica whose term ended must not move the new holder's cursor back.
        if (!holding() || !this.last) throw new Error('make lease lost: cursor not written');
        const next = cursors();
        change(next);
        const annotations = { ...(this.last.metadata.annotations ?? {}), [CURSORS_ANNOTATION]: JSON.stringify(next) };
        const obj = await this.put({ ...this.last, metadata: { ...this.last.metadata, annotations } });
        if (!obj) throw new Error('make lease lost: the Lease changed under this replica; cursor not written');
      });
    return {
      get: async (k) => cursors()[k],
      set: (k, v) => write((c) => (c[k] = v)),
      delete: (k) => write((c) => delete c[k]),
    };
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  /** PUT with the object's resourceVersion; undefined on 409 (the object changed since). */
  private async put(obj: LeaseObject): Promise<LeaseObject | undefined> {
    const res = await this.call('PUT', this.objectPath(), obj);
    if (res.status === 409) return undefined;
    const written = expectObject(res, 200);
    this.last = written;
    return written;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => {});
    return run;
  }

  private collectionPath(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.namespace)}/leases`;
  }

  private objectPath(): string {
    return `${this.collectionPath()}/${encodeURIComponent(this.name)}`;
  }

  private async call(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
    // Read each time: projected service-account tokens are rotated by the kubelet.
    const token = (await readFile(join(this.saDir, 'token'), 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new Error(`cannot read the service account token: ${err.code ?? err.message}`);
    })).trim();
    registerSecret(token);
    try {
      const res = await request(`${this.apiServer}${path}`, {
        method: method as 'GET',
        dispatcher: this.agent,
        headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
      });
      return { status: res.statusCode, text: await res.body.text() };
    } catch (err) {
      throw new Error(`Kubernetes API ${method} ${path}: ${redact((err as Error).message)}`);
    }
  }
}

function expectObject(res: { status: number; text: string }, status: number): LeaseObject {
  if (res.status !== status) {
    let reason = '';
    try {
      reason = (JSON.parse(res.text) as { message?: string }).message ?? '';
    } catch {
      // not a Status object
    }
    const hint = res.status === 401 || res.status === 403 ? ' (the service account needs get/create/update on leases.coordination.k8s.io)' : '';
    throw new Error(`Kubernetes API answered ${res.status}${reason ? `: ${redact(reason)}` : ''}${hint}`);
  }
  return JSON.parse(res.text) as LeaseObject;
}

function record(obj: LeaseObject): LeaseRecord {
  return { holder: obj.spec.holderIdentity ?? '', version: obj.metadata.resourceVersion ?? '' };
}

/** Kubernetes MicroTime: RFC 3339 with exactly six fractional digits. */
export function microTime(d = new Date()): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
