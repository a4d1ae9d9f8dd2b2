import type { Expr, Statement } from './ast.js';
import { compileCondition, compileStatement, type CompiledStatement, type Predicate } from './compile.js';
import type { ContextKind } from './context.js';
import { OttlParseError } from './errors.js';
import { parseCondition, parseStatement } from './parser.js';
import { pathOwner } from './paths.js';

/**
 * The OTTL subset for logs (pkg/ottl in the Collector), parsed and compiled once at start.
 * Processors use `compileStatementGroup` / `compileConditions` and run the result against a
 * `TransformContext` per record (or per scope / resource for those contexts).
 */

export type { CompiledStatement, Predicate } from './compile.js';
export type { ContextKind, TransformContext } from './context.js';
export { newContext } from './context.js';
export { OttlParseError, OttlRuntimeError } from './errors.js';

export type ConfigPath = (string | number)[];

/** `log_statements[1].statements[0]` */
export function formatPath(path: ConfigPath): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/**
 * A parse or compile error located in the config (`path` is relative to the component). Compiling
 * a list goes on past a bad statement: the first error is thrown with the others in `all`, so
 * `validate` reports every bad statement of a config at once.
 */
export class OttlConfigError extends Error {
  readonly all: OttlConfigError[] = [this];

  constructor(
    readonly path: ConfigPath,
    readonly parseError: OttlParseError,
  ) {
    super(`${formatPath(path)}: ${parseError.message}`);
    this.name = 'OttlConfigError';
  }
}

/** Runs each of `steps`, keeping their OttlConfigErrors; throws the first with all of them once every step ran. */
export function collectConfigErrors<T>(steps: (() => T)[]): T[] {
  const errors: OttlConfigError[] = [];
  const out: T[] = [];
  for (const step of steps) {
    try {
      out.push(step());
    } catch (err) {
      if (!(err instanceof OttlConfigError)) throw err;
      errors.push(...err.all);
    }
  }
  if (errors.length > 0) {
    const first = errors[0]!;
    first.all.splice(0, first.all.length, ...errors);
    throw first;
  }
  return out;
}

/** A statement or condition text and where it sits in the config. */
export interface Located {
  source: string;
  path: ConfigPath;
}

export interface CompiledGroup {
  readonly kind: ContextKind;
  /** ORed: the statements run when any holds (or when there are none). */
  readonly conditions: Predicate[];
  readonly statements: CompiledStatement[];
}

export interface GroupSpec {
  /** Explicit context; inferred from the path prefixes when absent. */
  context?: ContextKind;
  statements: Located[];
  conditions?: Located[];
}

function at<T>(item: Located, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof OttlParseError) throw new OttlConfigError(item.path, err);
    throw err;
  }
}

export function compileStatementGroup(spec: GroupSpec): CompiledGroup {
  const conds = spec.conditions ?? [];
  const n = spec.statements.length;
  // Statements and conditions in one list, so the errors of both are reported together.
  const parsed = collectConfigErrors<Statement | Expr>([
    ...spec.statements.map((st) => () => at(st, () => parseStatement(st.source))),
    ...conds.map((c) => () => at(c, () => parseCondition(c.source))),
  ]);
  const statements = parsed.slice(0, n) as Statement[];
  const conditions = parsed.slice(n) as Expr[];
  const kind = spec.context ?? inferContext([...statements.flatMap(statementExprs), ...conditions]);
  const compiled = collectConfigErrors<CompiledStatement | Predicate>([
    ...statements.map((st, i) => () => at(spec.statements[i]!, () => compileStatement(st, kind))),
    ...conditions.map((c, i) => () => at(conds[i]!, () => compileCondition(c, kind, conds[i]!.source))),
  ]);
  return { kind, statements: compiled.slice(0, n) as CompiledStatement[], conditions: compiled.slice(n) as Predicate[] };
}

/** The context a statement alone would be inferred to. */
export function statementContext(item: Located): ContextKind {
  return inferContext(statementExprs(at(item, () => parseStatement(item.source))));
}

/** Each condition compiled in its own (given or inferred) context: the filter processor's lists. */
export function compileConditions(items: Located[], context?: ContextKind): { kind: ContextKind; predicate: Predicate; source: string }[] {
  return collectConfigErrors(
    items.map((item) => () => {
      const expr = at(item, () => parseCondition(item.source));
      const kind = context ?? inferContext([expr]);
      return { kind, predicate: at(item, () => compileCondition(expr, kind, item.source)), source: item.source };
    }),
  );
}

function statementExprs(st: Statement): Expr[] {
  return st.where ? [st.editor, st.where] : [st.editor];
}

/**
 * The Collector's context inference, reduced to the log signal: the narrowest context that can
 * evaluate every path. Unprefixed paths (`body`, `attributes`) belong to the log context, as in
 * configurations written before context prefixes existed.
 */
export function inferContext(exprs: Expr[]): ContextKind {
  const owners = new Set<string>();
  const visit = (e: Expr): void => {
    switch (e.type) {
      case 'path':
        owners.add(pathOwner(e.segments) ?? 'log');
        e.keys.forEach(visit);
        return;
      case 'call':
        e.args.forEach((a) => visit(a.value));
        e.keys.forEach(visit);
        return;
      case 'list':
        e.items.forEach(visit);
        return;
      case 'map':
        e.entries.forEach((x) => visit(x.value));
        return;
      case 'not':
      case 'negate':
        visit(e.operand);
        return;
      case 'logical':
        e.operands.forEach(visit);
        return;
      case 'compare':
      case 'math':
        visit(e.left);
        visit(e.right);
        return;
    }
  };
  exprs.forEach(visit);
  if (owners.has('log') || owners.size === 0) return 'log';
  return owners.has('scope') ? 'scope' : 'resource';
}
