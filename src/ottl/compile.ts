import type { Arg, CallExpr, Expr, PathExpr, Statement } from './ast.js';
import type { ContextKind, TransformContext } from './context.js';
import { OttlParseError, OttlRuntimeError } from './errors.js';
import { CONVERTERS } from './functions/converters.js';
import { EDITORS as MAP_AND_TEXT_EDITORS } from './functions/editors.js';
import { SHAPE_EDITORS } from './functions/shape-editors.js';
import type { ArgValue, FunctionDef, StringFunction } from './functions/types.js';
import { SEVERITY_ENUMS } from './enums.js';
import { buildAccessor, resolveRoot, type Accessor, type Getter } from './paths.js';
import { compare, fromAny as toValue, isList, listItems, OttlDuration, OttlMap, OttlTime, toAny, typeName, type Value } from './value.js';

/** Every editor a statement may call. */
const EDITORS = { ...MAP_AND_TEXT_EDITORS, ...SHAPE_EDITORS };

/**
 * Turns the syntax tree into closures once, at start: path lookups, literal keys, regexes and
 * enum values are resolved here, so evaluating a statement per record is a few function calls.
 */

export type Predicate = (ctx: TransformContext) => boolean;

export interface CompiledStatement {
  readonly source: string;
  /** Runs the editor if the where clause holds. Throws OttlRuntimeError on evaluation errors. */
  run(ctx: TransformContext): void;
}

interface Scope {
  kind: ContextKind;
  source: string;
}

const fail = (s: Scope, why: string, column: number) => new OttlParseError(why, column, s.source);

export function compileStatement(stmt: Statement, kind: ContextKind): CompiledStatement {
  const scope: Scope = { kind, source: stmt.source };
  const editor = compileCall(stmt.editor, scope, EDITORS, 'editor');
  const where = stmt.where ? compilePredicate(stmt.where, scope) : undefined;
  const run = where
    ? (ctx: TransformContext) => {
        if (where(ctx)) editor(ctx);
      }
    : editor;
  return { source: stmt.source, run };
}

export function compileCondition(expr: Expr, kind: ContextKind, source: string): Predicate {
  return compilePredicate(expr, { kind, source });
}

function compilePredicate(expr: Expr, s: Scope): Predicate {
  switch (expr.type) {
    case 'bool': {
      const v = expr.value;
      return () => v;
    }
    case 'not': {
      const inner = compilePredicate(expr.operand, s);
      return (ctx) => !inner(ctx);
    }
    case 'logical': {
      const parts = expr.operands.map((o) => compilePredicate(o, s));
      if (expr.op === 'and') {
        if (parts.length === 2) {
          const [a, b] = parts;
          return (ctx) => a(ctx) && b(ctx);
        }
        return (ctx) => parts.every((p) => p(ctx));
      }
      if (parts.length === 2) {
        const [a, b] = parts;
        return (ctx) => a(ctx) || b(ctx);
      }
      return (ctx) => parts.some((p) => p(ctx));
    }
    case 'compare': {
      const l = compileExpr(expr.left, s);
      const r = compileExpr(expr.right, s);
      const op = expr.op;
      return (ctx) => compare(l(ctx), r(ctx), op);
    }
    default: {
      const g = compileExpr(expr, s);
      return (ctx) => {
        const v = g(ctx);
        if (typeof v !== 'boolean') throw new OttlRuntimeError(`condition did not evaluate to a boolean (got ${typeName(v)})`);
        return v;
      };
    }
  }
}

function compileExpr(expr: Expr, s: Scope): Getter {
  switch (expr.type) {
    case 'string':
    case 'int':
    case 'float':
    case 'bool': {
      const v = expr.value;
      return () => v;
    }
    case 'nil':
      return () => null;
    case 'bytes': {
      const v = expr.value;
      return () => v;
    }
    case 'enum': {
      const v = SEVERITY_ENUMS[expr.name];
      if (v === undefined) throw fail(s, `unknown enum "${expr.name}"`, expr.column);
      return () => v;
    }
    case 'path':
      return compilePath(expr, s).get;
    case 'call': {
      const call = compileCall(expr, s, CONVERTERS, 'converter');
      if (expr.keys.length === 0) return call;
      const keys = expr.keys.map((k) => compileExpr(k, s));
      return (ctx) => {
        let v = call(ctx);
        for (const k of keys) v = index(v, k(ctx));
        return v;
      };
    }
    case 'list': {
      const items = expr.items.map((i) => compileExpr(i, s));
      return (ctx) => items.map((g) => g(ctx));
    }
    case 'map': {
      const entries = expr.entries.map((e) => ({ key: e.key, get: compileExpr(e.value, s) }));
      return (ctx) => new OttlMap(entries.map((e) => ({ key: e.key, value: toAny(e.get(ctx)) })));
    }
    case 'math':
      return compileMath(expr.op, compileExpr(expr.left, s), compileExpr(expr.right, s));
    case 'negate': {
      const g = compileExpr(expr.operand, s);
      return (ctx) => {
        const v = g(ctx);
        if (typeof v === 'bigint') return BigInt.asIntN(64, -v);
        if (typeof v === 'number') return -v;
        throw new OttlRuntimeError(`cannot negate ${typeName(v)}`);
      };
    }
    case 'not':
    case 'logical':
    case 'compare':
      return compilePredicate(expr, s);
  }
}

function index(v: Value, k: Value): Value {
  if (v === null) return null;
  if (v instanceof OttlMap && typeof k === 'string') {
    const kv = v.kvs.find((x) => x.key === k);
    return kv ? toValue(kv.value) : null;
  }
  if (isList(v) && typeof k === 'bigint') {
    const items = listItems(v);
    if (k < 0n || k >= BigInt(items.length)) throw new OttlRuntimeError(`index ${k} out of bounds (length ${items.length})`);
    return items[Number(k)];
  }
  throw new OttlRuntimeError(`cannot index ${typeName(v)} with ${typeName(k)}`);
}

function compileMath(op: '+' | '-' | '*' | '/', l: Getter, r: Getter): Getter {
  return (ctx) => {
    const a = l(ctx);
    const b = r(ctx);
    if (typeof a === 'bigint' && typeof b === 'bigint') {
      if (op === '/' && b === 0n) throw new OttlRuntimeError('division by zero');
      const out = op === '+' ? a + b : op === '-' ? a - b : op === '*' ? a * b : a / b;
      return BigInt.asIntN(64, out);
    }
    if ((typeof a === 'bigint' || typeof a === 'number') && (typeof b === 'bigint' || typeof b === 'number')) {
      const x = Number(a);
      const y = Number(b);
      return op === '+' ? x + y : op === '-' ? x - y : op === '*' ? x * y : x / y;
    }
    if (op === '+' || op === '-') {
      const timed = timeMath(op, a, b);
      if (timed) return timed;
    }
    throw new OttlRuntimeError(`cannot apply "${op}" to ${typeName(a)} and ${typeName(b)}`);
  };
}

/** The Collector's time arithmetic: time − time, time ± duration, duration ± duration. */
function timeMath(op: '+' | '-', a: Value, b: Value): OttlTime | OttlDuration | undefined {
  const sign = op === '+' ? 1n : -1n;
  if (a instanceof OttlTime && b instanceof OttlTime) return op === '-' ? new OttlDuration(BigInt.asIntN(64, a.unixNano - b.unixNano)) : undefined;
  if (a instanceof OttlTime && b instanceof OttlDuration) return new OttlTime(a.unixNano + sign * b.nanos, a.zone);
  if (a instanceof OttlDuration && b instanceof OttlDuration) return new OttlDuration(BigInt.asIntN(64, a.nanos + sign * b.nanos));
  return undefined;
}

function compilePath(p: PathExpr, s: Scope): Accessor {
  const root = resolveRoot(p, s.kind, s.source);
  const keys = p.keys.map((k) => compileExpr(k, s));
  const constKeys = p.keys.map((k) => (k.type === 'string' ? k.value : k.type === 'int' ? Number(k.value) : undefined));
  return buildAccessor(root, keys, constKeys);
}

function compileCall<F>(call: CallExpr, s: Scope, registry: Record<string, FunctionDef<F>>, what: 'editor' | 'converter'): F {
  const def = Object.hasOwn(registry, call.name) ? registry[call.name] : undefined;
  if (!def) {
    const other = what === 'editor' ? CONVERTERS : EDITORS;
    const hint = Object.hasOwn(other, call.name) ? ` ("${call.name}" is a ${what === 'editor' ? 'converter' : 'editor'})` : '';
    throw fail(s, `unknown ${what} "${call.name}"${hint}`, call.column);
  }
  const bound = bindArgs(call, def, s);
  const values: ArgValue[] = def.params.map((param, i) => {
    const arg = bound[i];
    if (!arg) return undefined;
    return compileArg(call.name, param.name, param.kind, arg, s);
  });
  try {
    return def.build(values);
  } catch (err) {
    throw fail(s, `invalid arguments to ${call.name}: ${(err as Error).message}`, call.column);
  }
}

function bindArgs(call: CallExpr, def: FunctionDef<unknown>, s: Scope): (Arg | undefined)[] {
  const bound: (Arg | undefined)[] = new Array(def.params.length).fill(undefined);
  let sawNamed = false;
  call.args.forEach((arg, i) => {
    if (arg.name === undefined) {
      if (sawNamed) throw fail(s, 'positional arguments must come before named arguments', arg.column);
      if (i >= def.params.length) throw fail(s, `${call.name} takes ${def.params.length} arguments, got ${call.args.length}`, arg.column);
      bound[i] = arg;
      return;
    }
    sawNamed = true;
    const at = def.params.findIndex((p) => p.name === arg.name);
    if (at < 0) throw fail(s, `${call.name} has no parameter named "${arg.name}"`, arg.column);
    if (bound[at]) throw fail(s, `parameter "${arg.name}" of ${call.name} is given twice`, arg.column);
    bound[at] = arg;
  });
  def.params.forEach((p, i) => {
    if (!bound[i] && !p.optional) throw fail(s, `${call.name} is missing its argument "${p.name}" (takes ${def.params.length})`, call.column);
  });
  return bound;
}

/**
 * A converter named as an argument (`SHA256`, `Murmur3Hash`), applied to a string the caller
 * supplies: it must take that one argument, as the Collector's FunctionGetter requires.
 */
function compileFunctionArg(e: Expr, wrong: (what: string) => Error, s: Scope): StringFunction {
  const name = e.type === 'enum' ? e.name : e.type === 'path' && e.segments.length === 1 && e.keys.length === 0 ? e.segments[0] : undefined;
  const def = name !== undefined && Object.hasOwn(CONVERTERS, name) ? CONVERTERS[name] : undefined;
  const required = def?.params.filter((p) => !p.optional) ?? [];
  if (!def || required.length !== 1 || def.params[0]!.kind !== 'getter') throw wrong('the name of a converter that takes one string, such as SHA256');
  let input = '';
  const converter = def.build([() => input, ...def.params.slice(1).map(() => undefined)]);
  return (value, ctx) => {
    input = value;
    return converter(ctx);
  };
}

function compileArg(fn: string, name: string, kind: string, arg: Arg, s: Scope): ArgValue {
  const e = arg.value;
  const wrong = (what: string) => fail(s, `argument "${name}" of ${fn} must be ${what}`, e.column);
  switch (kind) {
    case 'path':
      if (e.type !== 'path') throw wrong('a path such as attributes["key"]');
      return compilePath(e, s);
    case 'getter':
      return compileExpr(e, s);
    case 'string':
      if (e.type !== 'string') throw wrong('a string literal');
      return e.value;
    case 'int':
      if (e.type !== 'int') throw wrong('an int literal');
      return e.value;
    case 'bool':
      if (e.type !== 'bool') throw wrong('true or false');
      return e.value;
    case 'stringList':
      if (e.type !== 'list' || !e.items.every((i) => i.type === 'string')) throw wrong('a list of string literals');
      return e.items.map((i) => (i as { value: string }).value);
    case 'function':
      return compileFunctionArg(e, wrong, s);
  }
  throw wrong('valid');
}
