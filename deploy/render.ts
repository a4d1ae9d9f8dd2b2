/**
 * The plain Kubernetes manifests (deploy/kubernetes/*.yaml) as a TypeScript model of what the Helm
 * chart (deploy/helm/make-otel-gateway) renders with its default values. `helm` is not needed to
 * produce or check them: every object is a kubernetes-models class, validated against the
 * Kubernetes OpenAPI schemas. Regenerate after changing values.yaml or this file:
 *   npx tsx deploy/render.ts
 * test/deploy/ checks the committed files equal this rendering and the chart's templates use only
 * keys values.yaml has.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';

export const DEPLOY_DIR = fileURLToPath(new URL('.', import.meta.url));
export const CHART_DIR = join(DEPLOY_DIR, 'helm', 'make-otel-gateway');
export const MANIFEST_DIR = join(DEPLOY_DIR, 'kubernetes');
export const NAME = 'make-otel-gateway';

// The chart's values.yaml, typed as far as the model reads it.
export interface ChartValues {
  replicaCount: number;
  image: { repository: string; tag: string; pullPolicy: 'Always' | 'IfNotPresent' | 'Never' };
  resources: { requests: { cpu: string; memory: string }; limits: { cpu: string; memory: string } };
  memoryLimiter: { checkInterval: string; limitPercentage: number; spikePercentage: number };
  persistence: { size: string; storageClassName: string; mountPath: string };
  shutdown: { gracePeriodSeconds: number; marginSeconds: number; preStopSleepSeconds: number };
  service: { type: 'ClusterIP' | 'NodePort' | 'LoadBalancer'; otlpGrpcPort: number; otlpHttpPort: number };
  healthCheck: { port: number; path: string };
  metrics: { port: number };
  podDisruptionBudget: { maxUnavailable: number };
  serviceMonitor: { enabled: boolean; interval: string };
  credentials: { existingSecret: string; env: Record<string, string> };
  env: Record<string, string>;
  serviceAccount: { create: boolean; leaseRbac: boolean };
  config: Record<string, any>;
}

export function loadValues(): ChartValues {
  return parse(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8')) as ChartValues;
}

/** `1024Mi` / `1Gi` → MiB. The chart accepts only these two suffixes (its template fails otherwise). */
export function mebibytes(quantity: string): number {
  const m = /^(\d+)(Mi|Gi)$/.exec(quantity);
  if (!m) throw new Error(`resources.limits.memory must be written in Mi or Gi, not ${quantity}`);
  return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1);
}

/** memory_limiter from the container's memory limit (integer MiB, as the chart computes it). */
export function memoryLimiterFrom(v: ChartValues): { check_interval: string; limit_mib: number; spike_limit_mib: number } {
  const limit = Math.floor((mebibytes(v.resources.limits.memory) * v.memoryLimiter.limitPercentage) / 100);
  return { check_interval: v.memoryLimiter.checkInterval, limit_mib: limit, spike_limit_mib: Math.floor((limit * v.memoryLimiter.spikePercentage) / 100) };
}

/** The gateway config the ConfigMap carries: values.config with memory_limiter filled in. */
export function gatewayConfig(v: ChartValues): Record<string, any> {
  const config = structuredClone(v.config);
  config.processors = { ...(config.processors ?? {}), memory_limiter: memoryLimiterFrom(v) };
  return config;
}

/** terminationGracePeriodSeconds: preStop sleep + the gateway's shutdown grace + a margin. */
export function terminationGraceSeconds(v: ChartValues): number {
  return v.shutdown.preStopSleepSeconds + v.shutdown.gracePeriodSeconds + v.shutdown.marginSeconds;
}

const labels = { 'app.kubernetes.io/name': NAME, 'app.kubernetes.io/instance': NAME };
const selector = { 'app.kubernetes.io/name': NAME, 'app.kubernetes.io/instance': NAME };

/** Every manifest file, name → its objects (validated). */
export function renderManifests(v: ChartValues): Map<string, object[]> {
  const files = new Map<string, object[]>();
  const sa = `${NAME}`;
  if (v.serviceAccount.create) {
    files.set('serviceaccount.yaml', [new ServiceAccount({ metadata: { name: sa, labels } })]);
  }
  if (v.serviceAccount.leaseRbac) {
    files.set('rbac.yaml', [
      new Role({
        metadata: { name: `${NAME}-leases`, labels },
        rules: [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch'] }],
      }),
      new RoleBinding({
        metadata: { name: `${NAME}-leases`, labels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `${NAME}-leases` },
        subjects: [{ kind: 'ServiceAccount', name: sa }],
      }),
    ]);
  }
  files.set('configmap.yaml', [new ConfigMap({ metadata: { name: `${NAME}-config`, labels }, data: { 'config.yaml': stringify(gatewayConfig(v)) } })]);
  files.set('service.yaml', [
    new Service({
      metadata: { name: NAME, labels },
      spec: {
        type: v.service.type,
        selector,
        ports: [
          { name: 'otlp-grpc', port: v.service.otlpGrpcPort, targetPort: 'otlp-grpc', protocol: 'TCP', appProtocol: 'grpc' },
          { name: 'otlp-http', port: v.service.otlpHttpPort, targetPort: 'otlp-http', protocol: 'TCP' },
          { name: 'metrics', port: v.metrics.port, targetPort: 'metrics', protocol: 'TCP' },
        ],
      },
    }),
  ]);
  files.set('service-headless.yaml', [
    new Service({
      metadata: { name: `${NAME}-headless`, labels },
      spec: {
        clusterIP: 'None',
        // Peers find each other (and the StatefulSet names its pods) even while not ready.
        publishNotReadyAddresses: true,
        selector,
        ports: [
          { name: 'otlp-grpc', port: v.service.otlpGrpcPort, targetPort: 'otlp-grpc', protocol: 'TCP' },
          { name: 'otlp-http', port: v.service.otlpHttpPort, targetPort: 'otlp-http', protocol: 'TCP' },
        ],
      },
    }),
  ]);
  files.set('statefulset.yaml', [statefulSet(v, sa)]);
  files.set('pdb.yaml', [new PodDisruptionBudget({ metadata: { name: NAME, labels }, spec: { maxUnavailable: v.podDisruptionBudget.maxUnavailable, selector: { matchLabels: selector } } })]);
  // Rendered always, applied only where the prometheus-operator CRDs exist (the chart: serviceMonitor.enabled).
  files.set('servicemonitor.yaml', [
    new ServiceMonitor({
      metadata: { name: NAME, labels },
      spec: { selector: { matchLabels: labels }, endpoints: [{ port: 'metrics', path: '/metrics', interval: v.serviceMonitor.interval as `${number}s` }] },
    }),
  ]);
  for (const objects of files.values()) for (const o of objects) (o as { validate(): void }).validate();
  return files;
}

function statefulSet(v: ChartValues, serviceAccountName: string): StatefulSet {
  const probe = { httpGet: { path: v.healthCheck.path, port: 'health' } };
  return new StatefulSet({
    metadata: { name: NAME, labels },
    spec: {
      serviceName: `${NAME}-headless`,
      replicas: v.replicaCount,
      // Replicas are independent (each its own queue): start and replace them in parallel.
      podManagementPolicy: 'Parallel',
      selector: { matchLabels: selector },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: v.serviceAccount.create ? serviceAccountName : undefined,
          // preStop sleep + the gateway's shutdown grace (30 s default) + margin: see values.yaml `shutdown`.
          terminationGracePeriodSeconds: terminationGraceSeconds(v),
          securityContext: { runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000 },
          containers: [
            {
              name: 'gateway',
              image: `${v.image.repository}:${v.image.tag}`,
              imagePullPolicy: v.image.pullPolicy,
              args: ['--config', '/etc/make-otel-gateway/config.yaml'],
              ports: [
                { name: 'otlp-grpc', containerPort: v.service.otlpGrpcPort, protocol: 'TCP' },
                { name: 'otlp-http', containerPort: v.service.otlpHttpPort, protocol: 'TCP' },
                { name: 'health', containerPort: v.healthCheck.port, protocol: 'TCP' },
                { name: 'metrics', containerPort: v.metrics.port, protocol: 'TCP' },
              ],
              env: [
                ...Object.entries(v.env).map(([name, value]) => ({ name, value })),
                ...Object.entries(v.credentials.env).map(([name, key]) => ({ name, valueFrom: { secretKeyRef: { name: v.credentials.existingSecret, key } } })),
              ],
              resources: v.resources,
              readinessProbe: { ...probe, periodSeconds: 5, failureThreshold: 2 },
              livenessProbe: { ...probe, periodSeconds: 10, failureThreshold: 6, initialDelaySeconds: 10 },
              lifecycle: { preStop: { exec: { command: ['sleep', String(v.shutdown.preStopSleepSeconds)] } } },
              volumeMounts: [
                { name: 'config', mountPath: '/etc/make-otel-gateway', readOnly: true },
                { name: 'data', mountPath: v.persistence.mountPath },
              ],
            },
          ],
          volumes: [{ name: 'config', configMap: { name: `${NAME}-config` } }],
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: 'data', labels },
          spec: {
            accessModes: ['ReadWriteOnce'],
            storageClassName: v.persistence.storageClassName || undefined,
            resources: { requests: { storage: v.persistence.size } },
          },
        },
      ],
    },
  });
}

/** The YAML text of one manifest file. */
export function manifestText(objects: object[]): string {
  const header = '# Rendered from deploy/helm/make-otel-gateway/values.yaml by deploy/render.ts; do not edit.\n';
  return header + objects.map((o) => stringify(JSON.parse(JSON.stringify(o)))).join('---\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const [file, objects] of renderManifests(loadValues())) writeFileSync(join(MANIFEST_DIR, file), manifestText(objects));
  console.log(`wrote ${MANIFEST_DIR}`);
}
