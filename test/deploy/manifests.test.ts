import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { CHART_DIR, MANIFEST_DIR, loadValues, manifestText, mebibytes, renderManifests, type ChartValues } from '../../deploy/render.js';
import { validateConfigText } from './validate-config.js';

/**
 * deploy/kubernetes/*.yaml: they are what deploy/render.ts renders from the chart's values, each
 * object is valid against the Kubernetes schemas, every name an object refers to exists, and the
 * gateway-specific settings (probes, shutdown grace, memory_limiter, storage) agree with the config.
 */

const KINDS: Record<string, new (data: any) => { validate(): void }> = {
  StatefulSet,
  ConfigMap,
  Service,
  ServiceAccount,
  PodDisruptionBudget,
  Role,
  RoleBinding,
  ServiceMonitor,
};
/** The gateway's shutdown grace when not configured (seconds). */
const GATEWAY_SHUTDOWN_GRACE_S = 30;
const MARGIN_S = 5;

type Obj = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> }; [k: string]: any };

let values: ChartValues;
let objects: Obj[];
const byKind = (kind: string) => objects.filter((o) => o.kind === kind);
const one = (kind: string, name?: string) => {
  const found = byKind(kind).filter((o) => name === undefined || o.metadata.name === name);
  expect(found, `${kind} ${name ?? ''}`).toHaveLength(1);
  return found[0]!;
};

beforeAll(() => {
  values = loadValues();
  objects = [];
  for (const file of readdirSync(MANIFEST_DIR).filter((f) => f.endsWith('.yaml'))) {
    for (const doc of parseAllDocuments(readFileSync(join(MANIFEST_DIR, file), 'utf8'))) {
      expect(doc.errors, file).toEqual([]);
      objects.push(doc.toJS() as Obj);
    }
  }
});

describe('deploy/kubernetes manifests', () => {
  it('are exactly what deploy/render.ts renders from the chart values (run `npx tsx deploy/render.ts` after a change)', () => {
    const rendered = renderManifests(values);
    expect(readdirSync(MANIFEST_DIR).filter((f) => f.endsWith('.yaml')).sort()).toEqual([...rendered.keys()].sort());
    for (const [file, objs] of rendered) expect(readFileSync(join(MANIFEST_DIR, file), 'utf8'), file).toBe(manifestText(objs));
  });

  it('every object validates against the Kubernetes schemas (and the validator does reject a broken one)', () => {
    expect(objects.length).toBeGreaterThanOrEqual(9);
    for (const o of objects) {
      const Model = KINDS[o.kind];
      expect(Model, `no schema for ${o.kind}`).toBeDefined();
      expect(() => new Model!(o).validate(), `${o.kind} ${o.metadata.name}`).not.toThrow();
    }
    const broken = structuredClone(one('StatefulSet'));
    broken.spec.replicas = 'three';
    expect(() => new StatefulSet(broken).validate()).toThrow();
    const noPorts = structuredClone(one('Service', 'make-otel-gateway'));
    noPorts.spec.ports[0].port = 'x';
    expect(() => new Service(noPorts).validate()).toThrow();
  });

  it('every name a manifest refers to exists: ConfigMap, Services, PVC template, ServiceAccount, Role, ports', () => {
    const sts = one('StatefulSet');
    const pod = sts.spec.template.spec;
    const container = pod.containers[0];
    const podLabels = sts.spec.template.metadata.labels;
    // ConfigMap volume, PVC template, mounts
    for (const v of pod.volumes) if (v.configMap) one('ConfigMap', v.configMap.name);
    const claimNames = sts.spec.volumeClaimTemplates.map((c: Obj) => c.metadata.name);
    const volumeNames = [...pod.volumes.map((v: { name: string }) => v.name), ...claimNames];
    for (const m of container.volumeMounts) expect(volumeNames).toContain(m.name);
    expect(claimNames).toEqual(['data']);
    expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe(values.persistence.size);
    // The headless Service the StatefulSet names its pods by
    const headless = one('Service', sts.spec.serviceName);
    expect(headless.spec.clusterIP).toBe('None');
    expect(sts.spec.selector.matchLabels).toEqual(podLabels);
    // Services and the PDB select these pods; their named target ports exist on the container
    const portNames = container.ports.map((p: { name: string }) => p.name);
    for (const svc of byKind('Service')) {
      expect(Object.entries(svc.spec.selector).every(([k, v]) => podLabels[k] === v), svc.metadata.name).toBe(true);
      for (const p of svc.spec.ports) expect(portNames).toContain(p.targetPort);
    }
    expect(one('PodDisruptionBudget').spec.selector.matchLabels).toEqual(podLabels);
    expect(one('PodDisruptionBudget').spec.maxUnavailable).toBe(values.podDisruptionBudget.maxUnavailable);
    // ServiceMonitor → the OTLP Service's metrics port
    const monitor = one('ServiceMonitor');
    const monitored = byKind('Service').filter((s) => Object.entries(monitor.spec.selector.matchLabels).every(([k, v]) => s.metadata.labels?.[k] === v));
    expect(monitored.length).toBeGreaterThan(0);
    for (const s of monitored.filter((s) => s.spec.clusterIP !== 'None')) expect(s.spec.ports.map((p: { name: string }) => p.name)).toContain(monitor.spec.endpoints[0].port);
    // ServiceAccount and lease RBAC
    one('ServiceAccount', pod.serviceAccountName);
    const binding = one('RoleBinding');
    one('Role', binding.roleRef.name);
    expect(binding.subjects.map((s: { name: string }) => s.name)).toContain(pod.serviceAccountName);
    expect(one('Role').rules[0]).toMatchObject({ apiGroups: ['coordination.k8s.io'], resources: ['leases'] });
  });

  it('takes credentials from the Secret by reference only, and the docs say how to create that Secret', () => {
    const container = one('StatefulSet').spec.template.spec.containers[0];
    const refs = container.env.filter((e: any) => e.valueFrom?.secretKeyRef).map((e: any) => e.valueFrom.secretKeyRef);
    expect(refs.length).toBe(Object.keys(values.credentials.env).length);
    for (const r of refs) expect(r.name).toBe(values.credentials.existingSecret);
    expect(byKind('Secret')).toEqual([]);
    const docs = readFileSync(join(CHART_DIR, '../../../docs/scaling.md'), 'utf8');
    expect(docs).toContain(`kubectl create secret generic ${values.credentials.existingSecret}`);
    for (const key of Object.values(values.credentials.env)) expect(docs).toContain(`--from-literal=${key}=`);
    // The config reads every credential through ${env:…}; no header value is a literal.
    const config = parse(one('ConfigMap').data['config.yaml']);
    for (const exporter of Object.values<any>(config.exporters)) for (const v of Object.values<string>(exporter.headers ?? {})) expect(v).toMatch(/^\$\{env:[A-Z_]+\}$/);
  });

  it('probes health_check on :13133 at its configured path, for readiness and liveness', () => {
    const sts = one('StatefulSet');
    const container = sts.spec.template.spec.containers[0];
    const health = container.ports.find((p: { name: string }) => p.name === 'health');
    expect(health.containerPort).toBe(13133);
    const hc = parse(one('ConfigMap').data['config.yaml']).extensions.health_check;
    expect(hc.endpoint).toBe('0.0.0.0:13133');
    for (const probe of [container.readinessProbe, container.livenessProbe]) {
      expect(probe.httpGet).toEqual({ path: hc.path ?? '/', port: 'health' });
    }
  });

  it('gives Kubernetes longer than preStop plus the gateway shutdown grace before SIGKILL', () => {
    const pod = one('StatefulSet').spec.template.spec;
    const preStop = pod.containers[0].lifecycle.preStop.exec.command;
    expect(preStop[0]).toBe('sleep');
    expect(values.shutdown.gracePeriodSeconds).toBe(GATEWAY_SHUTDOWN_GRACE_S);
    expect(values.shutdown.marginSeconds).toBe(MARGIN_S);
    expect(pod.terminationGracePeriodSeconds).toBe(Number(preStop[1]) + GATEWAY_SHUTDOWN_GRACE_S + MARGIN_S);
  });

  it('sets memory_limiter from the container memory limit, below it', () => {
    const container = one('StatefulSet').spec.template.spec.containers[0];
    const limitMiB = mebibytes(container.resources.limits.memory);
    const config = parse(one('ConfigMap').data['config.yaml']);
    const ml = config.processors.memory_limiter;
    expect(ml.limit_mib).toBe(Math.floor((limitMiB * values.memoryLimiter.limitPercentage) / 100));
    expect(ml.spike_limit_mib).toBe(Math.floor((ml.limit_mib * values.memoryLimiter.spikePercentage) / 100));
    expect(ml.limit_mib).toBeLessThan(limitMiB);
    expect(config.service.pipelines.logs.processors[0]).toBe('memory_limiter');
    expect(container.resources).toEqual(values.resources);
  });

  it('the ConfigMap config passes the gateway`s own validate, and its ports and storage match the pod', async () => {
    const sts = one('StatefulSet');
    const container = sts.spec.template.spec.containers[0];
    const text = one('ConfigMap').data['config.yaml'];
    const env = Object.fromEntries(container.env.map((e: any) => [e.name, e.value ?? 'Bearer test-only']));
    const result = await validateConfigText(text, env);
    expect(result.code, result.stderr + result.stdout).toBe(0);
    const config = parse(text);
    const ports = Object.fromEntries(container.ports.map((p: any) => [p.name, p.containerPort]));
    expect(config.receivers.otlp.protocols.grpc.endpoint).toBe(`0.0.0.0:${ports['otlp-grpc']}`);
    expect(config.receivers.otlp.protocols.http.endpoint).toBe(`0.0.0.0:${ports['otlp-http']}`);
    expect(config.service.telemetry.metrics.address).toBe(`0.0.0.0:${ports.metrics}`);
    const dataMount = container.volumeMounts.find((m: any) => m.name === 'data');
    expect(config.extensions.file_storage.directory).toBe(dataMount.mountPath);
    expect(config.exporters.otlphttp.sending_queue.storage).toBe('file_storage');
    expect(container.args).toEqual(['--config', `${container.volumeMounts.find((m: any) => m.name === 'config').mountPath}/config.yaml`]);
  });
});

describe('deploy/helm/make-otel-gateway chart', () => {
  const templatesDir = join(CHART_DIR, 'templates');
  const templates = () => readdirSync(templatesDir).map((f) => [f, readFileSync(join(templatesDir, f), 'utf8')] as const);

  it('Chart.yaml is a v2 application chart named after its directory', () => {
    const chart = parse(readFileSync(join(CHART_DIR, 'Chart.yaml'), 'utf8'));
    expect(chart).toMatchObject({ apiVersion: 'v2', name: 'make-otel-gateway', type: 'application' });
    expect(chart.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('has a template for every manifest kind, and uses only keys values.yaml defines', () => {
    const all = templates();
    const kinds = new Set(all.flatMap(([, t]) => [...t.matchAll(/^kind: (\w+)/gm)].map((m) => m[1])));
    for (const o of objects) expect(kinds, o.kind).toContain(o.kind);
    const lookup = (path: string) => path.split('.').reduce<any>((v, k) => (v === undefined ? undefined : v[k]), values);
    const used = new Set(all.flatMap(([, t]) => [...t.matchAll(/\.Values\.([A-Za-z0-9_.]+)/g)].map((m) => m[1]!.replace(/\.$/, ''))));
    expect(used.size).toBeGreaterThan(15);
    for (const path of used) expect(lookup(path), `.Values.${path}`).not.toBeUndefined();
  });

  it('every template has balanced actions: each if/range/with/define is closed by an end', () => {
    for (const [file, t] of templates()) {
      const actions = [...t.matchAll(/\{\{-?\s*(if|range|with|define|end|else)\b/g)].map((m) => m[1]);
      let depth = 0;
      for (const a of actions) {
        if (a === 'end') depth--;
        else if (a !== 'else') depth++;
        expect(depth, file).toBeGreaterThanOrEqual(0);
      }
      expect(depth, file).toBe(0);
      expect(t.split('{{').length, `${file}: {{ and }} pair up`).toBe(t.split('}}').length);
    }
  });

  it('templates the settings the plain manifests take from values (grace, probes, memory_limiter, secret refs)', () => {
    const text = Object.fromEntries(templates());
    expect(text['statefulset.yaml']).toContain('terminationGracePeriodSeconds: {{ include "mog.terminationGrace" . }}');
    expect(text['_helpers.tpl']).toContain('add .Values.shutdown.preStopSleepSeconds .Values.shutdown.gracePeriodSeconds .Values.shutdown.marginSeconds');
    expect(text['statefulset.yaml']).toMatch(/readinessProbe:\s+httpGet:\s+path: \{\{ \.Values\.healthCheck\.path \}\}\s+port: health/);
    expect(text['statefulset.yaml']).toMatch(/livenessProbe:\s+httpGet:\s+path: \{\{ \.Values\.healthCheck\.path \}\}\s+port: health/);
    expect(text['statefulset.yaml']).toContain('name: {{ $.Values.credentials.existingSecret }}');
    expect(text['configmap.yaml']).toContain('"memory_limiter" (dict "check_interval" .Values.memoryLimiter.checkInterval "limit_mib" $limit "spike_limit_mib" $spike)');
    expect(text['servicemonitor.yaml']).toContain('{{- if .Values.serviceMonitor.enabled }}');
    expect(values.serviceMonitor.enabled).toBe(false);
  });
});
