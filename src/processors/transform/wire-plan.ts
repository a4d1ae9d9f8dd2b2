import type { Expr } from '../../ottl/ast.js';
import { parseStatement } from '../../ottl/parser.js';
import type { AnyValue } from '../../pdata/model.js';
import { MAX_WIRE_UPSERTS, WireUpsert, type AttributeUpsert } from '../../pdata/wire-upsert.js';
import type { TransformConfig } from './config.js';

/**
 * Whether a transform can run on the request's bytes instead of its decoded records
 * (docs/architecture.md §10): when every statement is `set(attributes["key"], <literal>)` in the
 * log context, unconditional, nothing is read, so nothing needs decoding; the values are spliced
 * into the protobuf (pdata/wire-upsert.ts). Any other statement, a `where`, a group condition or
 * another context keeps the whole processor on the decoded path: the plan is all or nothing, so
 * statement order and error handling never differ between the two.
 */
export function wireUpsertPlan(c: Pick<TransformConfig, 'log_statements'>): WireUpsert | undefined {
  const upserts: AttributeUpsert[] = [];
  for (const entry of c.log_statements) {
    const sources = typeof entry === 'string' ? [entry] : entry.conditions.length === 0 && (entry.context ?? 'log') === 'log' ? entry.statements : undefined;
    if (sources === undefined) return undefined;
    for (const source of sources) {
      const upsert = constantAttributeSet(source);
      if (upsert === undefined) return undefined;
      upserts.push(upsert);
    }
  }
  if (upserts.length === 0 || new Set(upserts.map((u) => u.key)).size > MAX_WIRE_UPSERTS) return undefined;
  return new WireUpsert(upserts);
}

/** `set(attributes["k"], literal)` (or `log.attributes`) without a where clause, else undefined. */
function constantAttributeSet(source: string): AttributeUpsert | undefined {
  const st = parseStatement(source);
  const { editor } = st;
  if (st.where !== undefined || editor.name !== 'set' || editor.keys.length > 0 || editor.args.length !== 2) return undefined;
  const [target, value] = editor.args;
  if (target!.name !== undefined && target!.name !== 'target') return undefined;
  if (value!.name !== undefined && value!.name !== 'value') return undefined;
  const path = target!.value;
  if (path.type !== 'path' || path.keys.length !== 1 || path.keys[0]!.type !== 'string') return undefined;
  const segs = path.segments.join('.');
  if (segs !== 'attributes' && segs !== 'log.attributes') return undefined;
  const any = literalValue(value!.value);
  return any === undefined ? undefined : { key: path.keys[0]!.value, value: any };
}

/** The AnyValue the decoded path's `set` stores for a literal (ottl/value.ts toAny). */
function literalValue(e: Expr): AnyValue | undefined {
  switch (e.type) {
    case 'string':
      return { stringValue: e.value };
    case 'int':
      return { intValue: e.value };
    case 'float':
      return { doubleValue: e.value };
    case 'bool':
      return { boolValue: e.value };
  }
  return undefined;
}
