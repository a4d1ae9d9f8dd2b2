/** The OTTL syntax tree the parser produces and the compiler turns into closures. */

export type Literal =
  | { type: 'string'; value: string }
  | { type: 'int'; value: bigint }
  | { type: 'float'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'nil' }
  | { type: 'bytes'; value: Uint8Array };

export interface PathExpr {
  type: 'path';
  /** Dotted segments as written: `resource.attributes` → ['resource', 'attributes']. */
  segments: string[];
  keys: Expr[];
  column: number;
}

export interface CallExpr {
  type: 'call';
  name: string;
  args: Arg[];
  /** Index keys applied to a converter's result: `ParseJSON(body)["a"]`. */
  keys: Expr[];
  column: number;
}

export interface Arg {
  /** Set for named arguments (`pattern = "x"`). */
  name?: string;
  value: Expr;
  column: number;
}

export type Expr =
  | (Literal & { column: number })
  | PathExpr
  | CallExpr
  | { type: 'enum'; name: string; column: number }
  | { type: 'list'; items: Expr[]; column: number }
  | { type: 'map'; entries: { key: string; value: Expr }[]; column: number }
  | { type: 'not'; operand: Expr; column: number }
  | { type: 'logical'; op: 'and' | 'or'; operands: Expr[]; column: number }
  | { type: 'compare'; op: CompareOp; left: Expr; right: Expr; column: number }
  | { type: 'math'; op: '+' | '-' | '*' | '/'; left: Expr; right: Expr; column: number }
  | { type: 'negate'; operand: Expr; column: number };

export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';

export interface Statement {
  editor: CallExpr;
  where?: Expr;
  source: string;
}
