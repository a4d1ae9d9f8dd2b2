import { ConfigError } from '../errors.js';
import type { AnyFactory, ConnectorFactory } from '../pipeline/factory.js';
import type { Kind, Registry } from '../pipeline/registry.js';
import { unsupportedComponentHint } from './collector-components.js';
import { checkConnectors } from './connectors.js';
import { formatIssues } from './issues.js';
import { nullSectionsAsDefaults } from './null-sections.js';
import { checkListenPorts, checkReferences, checkTlsFiles } from './references.js';
import { checkStorageDirectories } from './storage-directories.js';
import { metricsListenAddress, serviceSchema, type ServiceConfig } from './service.js';
import { registerSecretsIn } from './secrets.js';
import { SIGNALS, type Signal } from '../pdata/signal.js';

/**
 * zod leaves the offending value out of its issues unless asked; without it a present key of the
 * wrong type read as "required" (formatIssues tells the two apart by the input).
 */
const REPORT_INPUT = { reportInput: true } as const;

/**
 * Validates a merged, env-expanded config map against the registry: every component block by its
 * factory's schema, every pipeline reference, the service section. All problems are reported at
 * once, each naming its key path. The result is frozen.
 */

export interface ComponentConfig {
  /** `type` or `type/name`, as written. */
  readonly id: string;
  readonly type: string;
  readonly factory: AnyFactory;
  readonly config: unknown;
}

export interface PipelineConfig {
  /** `logs`, `traces`, `metrics`, or one of them + `/<name>`. */
  readonly id: string;
  /** The pipeline's signal, from its id (absent in pipelines built in code: logs). */
  readonly signal?: Signal;
  readonly receivers: readonly string[];
  readonly processors: readonly string[];
  readonly exporters: readonly string[];
}

export interface GatewayConfig {
  readonly receivers: ReadonlyMap<string, ComponentConfig>;
  readonly processors: ReadonlyMap<string, ComponentConfig>;
  readonly exporters: ReadonlyMap<string, ComponentConfig>;
  readonly extensions: ReadonlyMap<string, ComponentConfig>;
  /** Declared under `connectors:` (docs/connectors.md); a pipeline lists one as an exporter or a receiver. */
  readonly connectors: ReadonlyMap<string, ComponentConfig>;
  readonly service: {
    readonly extensions: readonly string[];
    readonly pipelines: readonly PipelineConfig[];
    readonly telemetry: ServiceConfig['telemetry'];
    readonly shutdown_grace_period: number;
  };
  /** What loading noticed that is not an error (e.g. an unset variable read as empty); logged at start. */
  readonly warnings: readonly string[];
}

const SECTION: Record<Kind, 'receivers' | 'processors' | 'exporters' | 'extensions' | 'connectors'> = {
  receiver: 'receivers',
  connector: 'connectors',
  processor: 'processors',
  exporter: 'exporters',
  extension: 'extensions',
};
const TOP_LEVEL = new Set(['receivers', 'processors', 'exporters', 'extensions', 'connectors', 'service']);
const ID_RE = /^([A-Za-z0-9_.-]+)(?:\/(.+))?$/;

export function validateConfig(raw: Record<string, unknown>, registry: Registry, warnings: readonly string[] = []): GatewayConfig {
  const errors: string[] = [];
  for (const key of Object.keys(raw)) if (!TOP_LEVEL.has(key)) errors.push(`${key}: unknown key (expected receivers, processors, exporters, extensions, connectors, service)`);

  const sections = {} as Record<Kind, Map<string, ComponentConfig>>;
  // Ids that are written in the config, valid or not: a block with a bad key must not also make
  // every pipeline that uses it report "not defined".
  const defined = {} as Record<Kind, Set<string>>;
  for (const kind of ['extension', 'receiver', 'processor', 'exporter', 'connector'] as Kind[]) {
    const block = raw[SECTION[kind]];
    defined[kind] = new Set(block && typeof block === 'object' ? Object.keys(block) : []);
    sections[kind] = parseSection(kind, block, registry, errors);
  }

  let service: ServiceConfig | undefined;
  if (raw.service === undefined || raw.service === null) errors.push('service: required (with service.pipelines)');
  else {
    const parsed = serviceSchema.safeParse(raw.service, REPORT_INPUT);
    if (!parsed.success) errors.push(...formatIssues('service', parsed.error, serviceSchema));
    else service = parsed.data;
  }

  const pipelines: PipelineConfig[] = [];
  if (service) {
    service.extensions.forEach((id, i) => {
      if (!defined.extension.has(id)) errors.push(`service.extensions[${i}]: extension "${id}" is not defined under extensions`);
    });
    const entries = Object.entries(service.pipelines);
    if (entries.length === 0) errors.push('service.pipelines: at least one pipeline is required');
    for (const [pid, p] of entries) {
      const base = `service.pipelines.${pid}`;
      const m = ID_RE.exec(pid);
      const signal = SIGNALS.find((s) => s === m?.[1]);
      if (!m || !signal) {
        errors.push(`${base}: unknown pipeline type "${m?.[1] ?? pid}" (expected logs, traces or metrics, or one of them + "/<name>"; see docs/compatibility.md)`);
        continue;
      }
      const check = (kind: Kind, list: string[], key: string) => {
        const seen = new Set<string>();
        list.forEach((id, i) => {
          // A connector is both: the exporter of one pipeline and the receiver of another.
          const isConnector = kind !== 'processor' && defined.connector.has(id);
          if (!defined[kind].has(id) && !isConnector) errors.push(`${base}.${key}[${i}]: ${kind} "${id}" is not defined under ${SECTION[kind]}`);
          else if (!isConnector) {
            const unsupported = signalRefusal(registry, kind, id, signal);
            if (unsupported) errors.push(`${base}.${key}[${i}]: ${unsupported}`);
            const c = sections[kind].get(id);
            for (const message of (c && !unsupported && c.factory.signalConfigErrors?.(c.config, signal)) || []) {
              errors.push(`${base}.${key}[${i}]: ${kind} "${id}" in a ${signal} pipeline: ${message}`);
            }
          }
          if (seen.has(id)) errors.push(`${base}.${key}[${i}]: "${id}" is listed twice`);
          seen.add(id);
        });
      };
      check('receiver', p.receivers, 'receivers');
      check('processor', p.processors, 'processors');
      check('exporter', p.exporters, 'exporters');
      pipelines.push(Object.freeze({ id: pid, signal, receivers: p.receivers, processors: p.processors, exporters: p.exporters }));
    }
  }

  if (service) {
    const connectors = new Map([...sections.connector].map(([id, c]) => [id, { id, factory: c.factory as ConnectorFactory, config: c.config }]));
    checkConnectors(connectors, defined.connector, { receivers: defined.receiver, exporters: defined.exporter }, pipelines, errors);
  }

  // Before any message is printed: a secret echoed in an error line must be scrubbed too.
  registerSecretsIn(raw);
  if (service) checkWhatStartChecks(sections, defined.extension, service, pipelines, errors);

  if (errors.length > 0) {
    // Warnings often explain an error (an unset variable read as empty), so they come along.
    const noted = warnings.length > 0 ? `\nwarnings:\n  ${warnings.join('\n  ')}` : '';
    throw new ConfigError(`invalid configuration:\n  ${errors.join('\n  ')}${noted}`, errors);
  }
  return deepFreeze({
    receivers: sections.receiver,
    processors: sections.processor,
    exporters: sections.exporter,
    extensions: sections.extension,
    connectors: sections.connector,
    service: { extensions: service!.extensions, pipelines, telemetry: service!.telemetry, shutdown_grace_period: service!.shutdown_grace_period },
    warnings: [...warnings],
  });
}

/**
 * Why a component cannot serve a pipeline of `signal` (its factory's `signals`), or undefined when
 * it can or its type is unknown (that has its own error line).
 */
function signalRefusal(registry: Registry, kind: Kind, id: string, signal: Signal): string | undefined {
  const factory = registry.get(kind, ID_RE.exec(id)?.[1] ?? id);
  if (!factory || (factory.signals ?? ['logs']).includes(signal)) return undefined;
  const able = registry
    .types(kind)
    .filter((t) => (registry.get(kind, t)?.signals ?? ['logs']).includes(signal))
    .join(', ');
  return `${kind} "${id}" is not supported for ${signal} (${kind}s that are: ${able || 'none'}; see docs/compatibility.md)`;
}

/** References, ports and TLS files of the components the pipelines use, as start would meet them. */
function checkWhatStartChecks(
  sections: Record<Kind, Map<string, ComponentConfig>>,
  definedExtensions: Set<string>,
  service: ServiceConfig,
  pipelines: PipelineConfig[],
  errors: string[],
): void {
  const pick = (kind: Kind, ids: Iterable<string>) => [...new Set(ids)].map((id) => sections[kind].get(id)).filter((c): c is ComponentConfig => c !== undefined);
  const used = {
    receivers: pick('receiver', pipelines.flatMap((p) => p.receivers)),
    processors: pick('processor', pipelines.flatMap((p) => p.processors)),
    exporters: pick('exporter', pipelines.flatMap((p) => p.exporters)),
    extensions: pick('extension', service.extensions),
  };
  // An extension that is written but failed its own validation already has an error line.
  const parsedOrBroken = new Map<string, ComponentConfig>(sections.extension);
  const refErrors: string[] = [];
  checkReferences(used, parsedOrBroken, service.extensions, refErrors);
  errors.push(...refErrors.filter((e) => !/is not defined under extensions$/.test(e) || !definedExtensions.has(/"([^"]+)"/.exec(e)![1]!)));
  const withPaths = (Object.entries(used) as [string, ComponentConfig[]][]).flatMap(([section, list]) => list.map((c) => ({ path: `${section}.${c.id}`, config: c.config })));
  const metrics = metricsListenAddress(service.telemetry);
  checkListenPorts(withPaths.filter((c) => !c.path.startsWith('exporters.')), metrics ? [{ path: 'service.telemetry.metrics', ...metrics }] : [], errors);
  checkTlsFiles(withPaths, errors);
  checkStorageDirectories(used.extensions, errors);
}

function parseSection(kind: Kind, block: unknown, registry: Registry, errors: string[]): Map<string, ComponentConfig> {
  const out = new Map<string, ComponentConfig>();
  const section = SECTION[kind];
  if (block === undefined || block === null) return out;
  if (typeof block !== 'object' || Array.isArray(block)) {
    errors.push(`${section}: expected a map of component ids`);
    return out;
  }
  for (const [id, value] of Object.entries(block)) {
    const path = `${section}.${id}`;
    const m = ID_RE.exec(id);
    if (!m) {
      errors.push(`${path}: invalid component id (expected type or type/name)`);
      continue;
    }
    const factory = registry.get(kind, m[1]);
    if (!factory) {
      const hint = unsupportedComponentHint(kind, m[1]!, registry.types(kind));
      errors.push(hint ? `${path}: ${hint}` : `${path}: unknown ${kind} type "${m[1]}" (known: ${registry.types(kind).join(', ')})`);
      continue;
    }
    const parsed = factory.schema.safeParse(nullSectionsAsDefaults(factory.schema, value ?? {}), REPORT_INPUT);
    if (!parsed.success) {
      errors.push(...formatIssues(path, parsed.error, factory.schema));
      continue;
    }
    out.set(id, { id, type: factory.type, factory, config: parsed.data });
  }
  return out;
}

/** Freezes plain objects and arrays only: schemas may produce RegExp or class instances that must stay usable. */
function deepFreeze<T>(o: T): T {
  if (o instanceof Map) {
    for (const v of o.values()) deepFreeze(v.config);
    return o;
  }
  const plain = Array.isArray(o) || (o !== null && typeof o === 'object' && Object.getPrototypeOf(o) === Object.prototype);
  if (plain && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o as object)) deepFreeze(v);
  }
  return o;
}
