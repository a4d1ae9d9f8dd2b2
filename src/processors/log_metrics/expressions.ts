import { compileConditions, compileStatementGroup, type ConfigPath, type Predicate, type TransformContext } from '../../ottl/index.js';
import { fromAny, toJson, type Value } from '../../ottl/value.js';

/**
 * OTTL values and conditions for log_metrics, compiled once at start in the log context (a path may
 * still read `resource.attributes[...]`). The OTTL module exposes statements and conditions only,
 * so a value path is compiled as `set(cache["v"], <path>)` and read back from the record's cache:
 * the same parser, functions and math as the transform processor, with no second evaluator.
 */

const SLOT = '__log_metrics_value';

export type ValueGetter = (ctx: TransformContext) => Value;

export function compileValue(source: string, path: ConfigPath): ValueGetter {
  const group = compileStatementGroup({ context: 'log', statements: [{ source: `set(cache["${SLOT}"], ${source})`, path }] });
  const run = group.statements[0].run;
  return (ctx) => {
    ctx.cache = undefined;
    run(ctx);
    const kv = ctx.cache as { key: string; value: Parameters<typeof fromAny>[0] }[] | undefined;
    const slot = kv?.find((x) => x.key === SLOT);
    ctx.cache = undefined;
    return slot ? fromAny(slot.value) : null;
  };
}

export function compileWhere(source: string, path: ConfigPath): Predicate {
  return compileConditions([{ source, path }], 'log')[0].predicate;
}

/** A number from an OTTL value (int64 or double, or numeric text); undefined otherwise. */
export function numberOf(v: Value): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

/** A label value: text as is, nil as "", anything else as its JSON. */
export function labelOf(v: Value): string {
  if (v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  return toJson(v);
}
