import type { Arg, CallExpr, CompareOp, Expr, PathExpr, Statement } from './ast.js';
import { OttlParseError } from './errors.js';
import { tokenize, type Token } from './lexer.js';

/**
 * Recursive-descent parser for the OTTL grammar (pkg/ottl LANGUAGE.md):
 *
 *   statement  := editor '(' args ')' ('where' condition)?
 *   condition  := or
 *   or         := and ('or' and)*
 *   and        := not ('and' not)*
 *   not        := 'not' not | compare
 *   compare    := sum (('=='|'!='|'<'|'<='|'>'|'>=') sum)?
 *   sum        := product (('+'|'-') product)*
 *   product    := unary (('*'|'/') unary)*
 *   unary      := '-' unary | primary
 *   primary    := literal | enum | path | Converter '(' args ')' keys | list | map | '(' condition ')'
 */

const COMPARE_OPS = new Set(['==', '!=', '<', '<=', '>', '>=']);
const ENUM_NAME = /^[A-Z][A-Z0-9_]*$/;
const CONVERTER_NAME = /^[A-Z]/;
const EDITOR_NAME = /^[a-z]/;
const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

export function parseStatement(source: string): Statement {
  const p = new Parser(source);
  const first = p.peek();
  if (first.kind !== 'ident' || !EDITOR_NAME.test(first.text) || p.peek(1).text !== '(') {
    throw p.unexpected(first, 'expected an editor call like set(...)');
  }
  p.next();
  const editor = p.call(first);
  let where: Expr | undefined;
  if (p.peek().kind === 'ident' && p.peek().text === 'where') {
    p.next();
    where = p.condition();
  }
  p.expectEnd();
  return { editor, where, source };
}

export function parseCondition(source: string): Expr {
  const p = new Parser(source);
  if (p.peek().kind === 'eof') throw p.unexpected(p.peek(), 'expected a condition');
  const expr = p.condition();
  p.expectEnd();
  return expr;
}

class Parser {
  private readonly tokens: Token[];
  private pos = 0;

  constructor(private readonly source: string) {
    this.tokens = tokenize(source);
  }

  peek(ahead = 0): Token {
    return this.tokens[Math.min(this.pos + ahead, this.tokens.length - 1)];
  }

  next(): Token {
    const t = this.peek();
    if (this.pos < this.tokens.length - 1) this.pos++;
    return t;
  }

  unexpected(t: Token, hint?: string): OttlParseError {
    const what = t.kind === 'eof' ? 'unexpected end of statement' : `unexpected token ${JSON.stringify(t.raw)}`;
    return new OttlParseError(hint ? `${what} (${hint})` : what, t.column, this.source);
  }

  expect(text: string): Token {
    const t = this.peek();
    if ((t.kind === 'punct' || t.kind === 'op') && t.text === text) return this.next();
    throw this.unexpected(t, `expected "${text}"`);
  }

  expectEnd(): void {
    const t = this.peek();
    if (t.kind !== 'eof') throw this.unexpected(t);
  }

  private isKeyword(word: string): boolean {
    const t = this.peek();
    return t.kind === 'ident' && t.text === word;
  }

  condition(): Expr {
    return this.or();
  }

  private or(): Expr {
    const first = this.and();
    if (!this.isKeyword('or')) return first;
    const operands = [first];
    while (this.isKeyword('or')) {
      this.next();
      operands.push(this.and());
    }
    return { type: 'logical', op: 'or', operands, column: first.column };
  }

  private and(): Expr {
    const first = this.not();
    if (!this.isKeyword('and')) return first;
    const operands = [first];
    while (this.isKeyword('and')) {
      this.next();
      operands.push(this.not());
    }
    return { type: 'logical', op: 'and', operands, column: first.column };
  }

  private not(): Expr {
    if (this.isKeyword('not')) {
      const t = this.next();
      return { type: 'not', operand: this.not(), column: t.column };
    }
    return this.compare();
  }

  private compare(): Expr {
    const left = this.sum();
    const t = this.peek();
    if (t.kind === 'op' && COMPARE_OPS.has(t.text)) {
      this.next();
      const right = this.sum();
      return { type: 'compare', op: t.text as CompareOp, left, right, column: t.column };
    }
    return left;
  }

  private sum(): Expr {
    let left = this.product();
    for (let t = this.peek(); t.kind === 'op' && (t.text === '+' || t.text === '-'); t = this.peek()) {
      this.next();
      left = { type: 'math', op: t.text as '+' | '-', left, right: this.product(), column: t.column };
    }
    return left;
  }

  private product(): Expr {
    let left = this.unary();
    for (let t = this.peek(); t.kind === 'op' && (t.text === '*' || t.text === '/'); t = this.peek()) {
      this.next();
      left = { type: 'math', op: t.text as '*' | '/', left, right: this.unary(), column: t.column };
    }
    return left;
  }

  private unary(): Expr {
    const t = this.peek();
    if (t.kind === 'op' && t.text === '-') {
      this.next();
      const n = this.peek();
      // A negative literal is parsed as one value so int64's minimum stays representable.
      if (n.kind === 'int') {
        this.next();
        return { type: 'int', value: this.int64(`-${n.text}`, t), column: t.column };
      }
      if (n.kind === 'float') {
        this.next();
        return { type: 'float', value: -Number(n.text), column: t.column };
      }
      return { type: 'negate', operand: this.unary(), column: t.column };
    }
    return this.primary();
  }

  private int64(text: string, t: Token): bigint {
    const v = BigInt(text);
    if (v > INT64_MAX || v < INT64_MIN) throw new OttlParseError(`integer ${text} does not fit in int64`, t.column, this.source);
    return v;
  }

  private primary(): Expr {
    const t = this.next();
    switch (t.kind) {
      case 'string':
        return { type: 'string', value: t.text, column: t.column };
      case 'int':
        return { type: 'int', value: this.int64(t.text, t), column: t.column };
      case 'float':
        return { type: 'float', value: Number(t.text), column: t.column };
      case 'bytes':
        return { type: 'bytes', value: Uint8Array.from(Buffer.from(t.text, 'hex')), column: t.column };
      case 'punct':
        if (t.text === '(') {
          const inner = this.condition();
          this.expect(')');
          return inner;
        }
        if (t.text === '[') return this.list(t);
        if (t.text === '{') return this.map(t);
        throw this.unexpected(t);
      case 'ident':
        return this.identifier(t);
      default:
        throw this.unexpected(t);
    }
  }

  private identifier(t: Token): Expr {
    if (t.text === 'true' || t.text === 'false') return { type: 'bool', value: t.text === 'true', column: t.column };
    if (t.text === 'nil') return { type: 'nil', column: t.column };
    if (t.text === 'and' || t.text === 'or' || t.text === 'not' || t.text === 'where') throw this.unexpected(t);
    if (this.peek().text === '(' && this.peek().kind === 'punct') {
      if (!CONVERTER_NAME.test(t.text)) {
        throw new OttlParseError(`editor "${t.text}" cannot be used as a value; converters start with an upper-case letter`, t.column, this.source);
      }
      const call = this.call(t);
      call.keys = this.keys();
      return call;
    }
    if (ENUM_NAME.test(t.text) && this.peek().text !== '.') return { type: 'enum', name: t.text, column: t.column };
    return this.path(t);
  }

  private path(first: Token): PathExpr {
    const segments = [first.text];
    while (this.peek().kind === 'punct' && this.peek().text === '.') {
      this.next();
      const seg = this.next();
      if (seg.kind !== 'ident') throw this.unexpected(seg, 'expected a path segment');
      segments.push(seg.text);
    }
    return { type: 'path', segments, keys: this.keys(), column: first.column };
  }

  private keys(): Expr[] {
    const keys: Expr[] = [];
    while (this.peek().kind === 'punct' && this.peek().text === '[') {
      this.next();
      keys.push(this.sum());
      this.expect(']');
    }
    return keys;
  }

  call(name: Token): CallExpr {
    this.expect('(');
    const args: Arg[] = [];
    if (!(this.peek().kind === 'punct' && this.peek().text === ')')) {
      for (;;) {
        const t = this.peek();
        if (t.kind === 'ident' && this.peek(1).kind === 'op' && this.peek(1).text === '=') {
          this.next();
          this.next();
          args.push({ name: t.text, value: this.condition(), column: t.column });
        } else {
          args.push({ value: this.condition(), column: t.column });
        }
        if (this.peek().kind === 'punct' && this.peek().text === ',') {
          this.next();
          continue;
        }
        break;
      }
    }
    this.expect(')');
    return { type: 'call', name: name.text, args, keys: [], column: name.column };
  }

  private list(open: Token): Expr {
    const items: Expr[] = [];
    if (!(this.peek().kind === 'punct' && this.peek().text === ']')) {
      for (;;) {
        items.push(this.condition());
        if (this.peek().kind === 'punct' && this.peek().text === ',') {
          this.next();
          continue;
        }
        break;
      }
    }
    this.expect(']');
    return { type: 'list', items, column: open.column };
  }

  private map(open: Token): Expr {
    const entries: { key: string; value: Expr }[] = [];
    if (!(this.peek().kind === 'punct' && this.peek().text === '}')) {
      for (;;) {
        const k = this.next();
        if (k.kind !== 'string') throw this.unexpected(k, 'map keys are strings');
        this.expect(':');
        entries.push({ key: k.text, value: this.condition() });
        if (this.peek().kind === 'punct' && this.peek().text === ',') {
          this.next();
          continue;
        }
        break;
      }
    }
    this.expect('}');
    return { type: 'map', entries, column: open.column };
  }
}
