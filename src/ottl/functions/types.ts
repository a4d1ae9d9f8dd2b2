import type { TransformContext } from '../context.js';
import type { Accessor, Getter } from '../paths.js';
import type { Value } from '../value.js';

/**
 * How a function declares its parameters. Literal kinds (`string`, `int`, `stringList`, `bool`)
 * must be written as literals in the statement, so regexes and limits are checked and compiled
 * once at start, as the Collector does.
 */
export type ParamKind = 'path' | 'getter' | 'string' | 'int' | 'stringList' | 'bool' | 'function';

export interface Param {
  readonly name: string;
  readonly kind: ParamKind;
  readonly optional?: boolean;
}

/**
 * A converter passed by name (`SHA256`), applied to a string: the `function` argument of the
 * replace editors (the Collector's FunctionGetter).
 */
export type StringFunction = (input: string, ctx: TransformContext) => Value;

export type ArgValue = Accessor | Getter | StringFunction | string | bigint | boolean | string[] | undefined;

export type Editor = (ctx: TransformContext) => void;
export type Converter = (ctx: TransformContext) => Value;

export interface FunctionDef<F> {
  readonly params: readonly Param[];
  /** Builds the closure. Throw an Error with a user-facing message for a bad literal argument. */
  build(args: ArgValue[]): F;
}
