import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A strict fake of the Kubernetes API's Lease endpoints (coordination.k8s.io/v1), as the API
 * server answers them: HTTPS only, `Authorization: Bearer <service account token>` (401 Status
 * otherwise), JSON bodies with `Content-Type: application/json` (415 otherwise), GET/POST on
 * `/apis/coordination.k8s.io/v1/namespaces/{ns}/leases[/{name}]` and PUT on the object path.
 * Optimistic concurrency as the real one: a PUT must carry `metadata.resourceVersion`, and one
 * that is not the current version is refused with 409 Conflict; POST of an existing name is 409
 * AlreadyExists. Bodies are validated: apiVersion/kind, name/namespace matching the path,
 * `spec.leaseDurationSeconds` an integer, MicroTime fields RFC 3339 with six fractional digits,
 * no unknown `spec` fields (422 Invalid). Errors are `Status` objects.
 */

export interface FakeLease {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; resourceVersion: string; uid: string; creationTimestamp: string; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
}

const SPEC_KEYS = new Set(['holderIdentity', 'leaseDurationSeconds', 'acquireTime', 'renewTime', 'leaseTransitions', 'strategy', 'preferredHolder']);
const MICROTIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const PATH = /^\/apis\/coordination\.k8s\.io\/v1\/namespaces\/([a-z0-9-]+)\/leases(?:\/([a-z0-9.-]+))?$/;

export interface FakeLeaseRequest {
  method: string;
  path: string;
  status: number;
}

export class FakeKubernetesLeaseApi {
  readonly leases = new Map<string, FakeLease>();
  readonly requests: FakeLeaseRequest[] = [];
  private server?: Server;
  private version = 1000;
  port = 0;

  constructor(private readonly o: { token: string; cert: Buffer; key: Buffer }) {}

  async start(): Promise<void> {
    this.server = createServer({ cert: this.o.cert, key: this.o.key }, (req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((resolve) => { s.close(() => resolve()); s.closeAllConnections(); });
  }

  lease(namespace: string, name: string): FakeLease | undefined {
    return this.leases.get(`${namespace}/${name}`);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = this.route(req, Buffer.concat(chunks).toString('utf8'), res);
      this.requests.push({ method: req.method ?? '', path: req.url ?? '', status });
    });
  }

  private route(req: IncomingMessage, body: string, res: ServerResponse): number {
    const send = (code: number, obj: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(obj));
      return code;
    };
    const fail = (code: number, reason: string, message: string) => send(code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
    if (req.headers.authorization !== `Bearer ${this.o.token}`) return fail(401, 'Unauthorized', 'Unauthorized');
    const url = new URL(req.url ?? '/', 'https://fake');
    const m = PATH.exec(url.pathname);
    if (!m) return fail(404, 'NotFound', `the server could not find the requested resource`);
    const [, namespace, name] = m;
    const method = req.method ?? 'GET';
    if (method === 'GET' && name) {
      const lease = this.lease(namespace, name);
      return lease ? send(200, lease) : fail(404, 'NotFound', `leases.coordination.k8s.io "${name}" not found`);
    }
    if ((method === 'POST' && !name) || (method === 'PUT' && name)) {
      if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) return fail(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json`);
      let obj: FakeLease;
      try {
        obj = JSON.parse(body) as FakeLease;
      } catch {
        return fail(400, 'BadRequest', 'the body is not JSON');
      }
      const invalid = validate(obj, namespace, name);
      if (invalid) return fail(422, 'Invalid', `Lease.coordination.k8s.io is invalid: ${invalid}`);
      const key = `${namespace}/${obj.metadata.name}`;
      const existing = this.leases.get(key);
      if (method === 'POST') {
        if (existing) return fail(409, 'AlreadyExists', `leases.coordination.k8s.io "${obj.metadata.name}" already exists`);
        const created = this.store(key, obj, { uid: `uid-${this.version}`, creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z') });
        return send(201, created);
      }
      if (!existing) return fail(404, 'NotFound', `leases.coordination.k8s.io "${name}" not found`);
      if (!obj.metadata.resourceVersion) return fail(422, 'Invalid', 'metadata.resourceVersion: Invalid value: 0x0: must be specified for an update');
      if (obj.metadata.resourceVersion !== existing.metadata.resourceVersion) {
        return fail(409, 'Conflict', `Operation cannot be fulfilled on leases.coordination.k8s.io "${name}": the object has been modified; please apply your changes to the latest version and try again`);
      }
      return send(200, this.store(key, obj, { uid: existing.metadata.uid, creationTimestamp: existing.metadata.creationTimestamp }));
    }
    return fail(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
  }

  private store(key: string, obj: FakeLease, kept: { uid: string; creationTimestamp: string }): FakeLease {
    const lease: FakeLease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { ...obj.metadata, ...kept, resourceVersion: String(++this.version) },
      spec: obj.spec,
    };
    this.leases.set(key, lease);
    return lease;
  }
}

function validate(obj: FakeLease, namespace: string, name: string | undefined): string | undefined {
  if (obj.apiVersion !== 'coordination.k8s.io/v1' || obj.kind !== 'Lease') return 'apiVersion/kind: must be coordination.k8s.io/v1 Lease';
  if (!obj.metadata?.name) return 'metadata.name: Required value';
  if (name && obj.metadata.name !== name) return 'metadata.name: Invalid value: does not match the name in the URL';
  if (obj.metadata.namespace && obj.metadata.namespace !== namespace) return 'metadata.namespace: Invalid value: does not match the namespace in the URL';
  const spec = obj.spec ?? {};
  for (const k of Object.keys(spec)) if (!SPEC_KEYS.has(k)) return `spec.${k}: unknown field`;
  const d = spec.leaseDurationSeconds;
  if (d !== undefined && (!Number.isInteger(d) || (d as number) <= 0)) return 'spec.leaseDurationSeconds: must be a positive integer';
  for (const k of ['acquireTime', 'renewTime']) {
    const v = spec[k];
    if (v !== undefined && (typeof v !== 'string' || !MICROTIME.test(v))) return `spec.${k}: Invalid value: must be RFC 3339 with microseconds`;
  }
  for (const v of Object.values(obj.metadata.annotations ?? {})) if (typeof v !== 'string') return 'metadata.annotations: values must be strings';
  return undefined;
}
