import type { ConnectorFactory } from '../pipeline/factory.js';
import { joinPath } from './issues.js';

/**
 * The Collector's rules for connectors (docs/connectors.md), checked at validate as at start:
 * - an id may not name both a connector and a receiver or exporter (the pipeline's list would be
 *   ambiguous);
 * - a connector used as an exporter must be used as a receiver in some pipeline, and the other way
 *   round (otherwise data would go nowhere, or nothing would ever arrive);
 * - pipelines joined by connectors form no cycle (a record would circle for ever);
 * - every pipeline a connector's config names (routing's table and default_pipelines) lists the
 *   connector among its receivers: that is how a pipeline says where its data comes from.
 */

export interface ConnectorUse {
  readonly id: string;
  readonly factory: ConnectorFactory;
  readonly config: unknown;
}

interface PipelineIds {
  readonly id: string;
  readonly receivers: readonly string[];
  readonly exporters: readonly string[];
}

export function checkConnectors(
  connectors: ReadonlyMap<string, ConnectorUse>,
  definedConnectors: ReadonlySet<string>,
  clash: { receivers: ReadonlySet<string>; exporters: ReadonlySet<string> },
  pipelines: readonly PipelineIds[],
  errors: string[],
): void {
  for (const id of definedConnectors) {
    for (const kind of ['exporter', 'receiver'] as const) {
      if (!clash[`${kind}s`].has(id)) continue;
      errors.push(
        `connectors.${id}: ambiguous ID: found both "${id}" ${kind} and "${id}" connector. ` +
          `Change one of the components' IDs to eliminate ambiguity (e.g. rename "${id}" connector to "${id}/connector")`,
      );
    }
  }
  for (const id of definedConnectors) {
    const asExporter = pipelines.filter((p) => p.exporters.includes(id)).map((p) => p.id);
    const asReceiver = pipelines.filter((p) => p.receivers.includes(id)).map((p) => p.id);
    if (asExporter.length > 0 && asReceiver.length === 0) {
      errors.push(`connectors.${id}: connector "${id}" used as exporter in [${asExporter.join(', ')}] pipeline but not used in any supported receiver pipeline`);
    }
    if (asReceiver.length > 0 && asExporter.length === 0) {
      errors.push(`connectors.${id}: connector "${id}" used as receiver in [${asReceiver.join(', ')}] pipeline but not used in any supported exporter pipeline`);
    }
  }
  for (const [id, c] of connectors) {
    for (const named of c.factory.pipelinesNamed?.(c.config) ?? []) {
      const p = pipelines.find((x) => x.id === named.pipeline);
      const at = joinPath(`connectors.${id}`, named.path);
      if (!p) errors.push(`${at}: pipeline "${named.pipeline}" is not defined under service.pipelines`);
      else if (!p.receivers.includes(id)) errors.push(`${at}: pipeline "${named.pipeline}" does not list connector "${id}" under its receivers`);
    }
  }
  const cycle = findCycle(definedConnectors, pipelines);
  if (cycle) errors.push(`service.pipelines: cycle detected: ${cycle.join(' -> ')} (a connector must not feed a pipeline that leads back to it)`);
}

/** A path `pipeline -> connector -> pipeline ...` that returns to its start, or undefined. */
function findCycle(connectors: ReadonlySet<string>, pipelines: readonly PipelineIds[]): string[] | undefined {
  const next = (p: PipelineIds) =>
    p.exporters.filter((e) => connectors.has(e)).flatMap((c) => pipelines.filter((q) => q.receivers.includes(c)).map((q) => ({ via: c, to: q })));
  const state = new Map<string, 'open' | 'done'>();
  const walk = (p: PipelineIds, trail: string[]): string[] | undefined => {
    state.set(p.id, 'open');
    for (const { via, to } of next(p)) {
      if (state.get(to.id) === 'open') {
        const from = trail.indexOf(to.id);
        return [...trail.slice(from), via, to.id];
      }
      if (state.get(to.id) === undefined) {
        const found = walk(to, [...trail, via, to.id]);
        if (found) return found;
      }
    }
    state.set(p.id, 'done');
    return undefined;
  };
  for (const p of pipelines) {
    if (state.has(p.id)) continue;
    const found = walk(p, [p.id]);
    if (found) return found;
  }
  return undefined;
}
