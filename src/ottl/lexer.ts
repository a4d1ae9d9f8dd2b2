import { OttlParseError } from './errors.js';

/**
 * Tokens of the OTTL grammar. Every token keeps its 1-based column so parse errors can point at
 * the exact place in the statement the user wrote.
 */
export type TokenKind =
  | 'ident'
  | 'string'
  | 'int'
  | 'float'
  | 'bytes'
  | 'op' // == != < <= > >= + - * / =
  | 'punct' // ( ) [ ] { } , : .
  | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** The text as written (for strings: the decoded value). */
  readonly text: string;
  /** 1-based column of the first character. */
  readonly column: number;
  /** The source text of the token, quotes included (for error messages). */
  readonly raw: string;
}

const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_]/;
const DIGIT = /[0-9]/;
const HEX = /^[0-9A-Fa-f]*$/;

const SIMPLE_ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', n: '\n', t: '\t', r: '\r', '/': '/' };

export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, text: string, start: number, raw = source.slice(start, i)) => tokens.push({ kind, text, column: start + 1, raw });
  while (i < source.length) {
    const c = source[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const start = i;
    if (c === '"') {
      i++;
      let value = '';
      let closed = false;
      while (i < source.length) {
        const d = source[i];
        if (d === '"') {
          closed = true;
          i++;
          break;
        }
        if (d === '\\' && i + 1 < source.length) {
          const e = source[i + 1];
          // Unknown escapes (\d, \s, \.) are kept as written: they are almost always regex
          // escapes the user meant literally.
          value += SIMPLE_ESCAPES[e] ?? '\\' + e;
          i += 2;
          continue;
        }
        value += d;
        i++;
      }
      if (!closed) throw new OttlParseError('unterminated string', start + 1, source);
      push('string', value, start);
      continue;
    }
    if (c === '0' && (source[i + 1] === 'x' || source[i + 1] === 'X')) {
      i += 2;
      while (i < source.length && IDENT_PART.test(source[i])) i++;
      const hex = source.slice(start + 2, i);
      if (hex.length === 0 || hex.length % 2 !== 0 || !HEX.test(hex)) {
        throw new OttlParseError(`invalid bytes literal "${source.slice(start, i)}"`, start + 1, source);
      }
      push('bytes', hex.toLowerCase(), start);
      continue;
    }
    if (DIGIT.test(c)) {
      while (i < source.length && DIGIT.test(source[i])) i++;
      let isFloat = false;
      if (source[i] === '.' && DIGIT.test(source[i + 1] ?? '')) {
        isFloat = true;
        i++;
        while (i < source.length && DIGIT.test(source[i])) i++;
      }
      if (source[i] === 'e' || source[i] === 'E') {
        let j = i + 1;
        if (source[j] === '+' || source[j] === '-') j++;
        if (DIGIT.test(source[j] ?? '')) {
          isFloat = true;
          i = j;
          while (i < source.length && DIGIT.test(source[i])) i++;
        }
      }
      push(isFloat ? 'float' : 'int', source.slice(start, i), start);
      continue;
    }
    if (IDENT_START.test(c)) {
      while (i < source.length && IDENT_PART.test(source[i])) i++;
      push('ident', source.slice(start, i), start);
      continue;
    }
    const two = source.slice(i, i + 2);
    if (two === '==' || two === '!=' || two === '<=' || two === '>=') {
      i += 2;
      push('op', two, start);
      continue;
    }
    if ('<>+-*/='.includes(c)) {
      i++;
      push('op', c, start);
      continue;
    }
    if ('()[]{},:.'.includes(c)) {
      i++;
      push('punct', c, start);
      continue;
    }
    throw new OttlParseError(`unexpected character "${c}"`, start + 1, source);
  }
  tokens.push({ kind: 'eof', text: '', column: source.length + 1, raw: 'end of statement' });
  return tokens;
}
