/**
 * Cheaper ways to ask the redaction regexes the same questions (docs/architecture.md §10: regex
 * backtracking in redaction and replace_pattern was the largest cost of the Make example's pipeline, BENCHMARKS.md).
 *
 * - A pattern used to *test* a key (`blocked_key_patterns: [".*token.*"]`) may drop a leading and
 *   a trailing `.*`: an unanchored search finds `.*X.*` exactly where it finds `X` (`.*` may match
 *   nothing), but V8 runs the `.*` to the end of the string and backtracks from every start
 *   position, quadratic in the key's length.
 * - A pattern that needs a literal somewhere in every match (`@` in an e-mail pattern, `Bearer `)
 *   cannot match a string without it: `includes` answers that without starting the regex.
 * Both are decided from the pattern's top level only; anything not understood keeps the regex as is.
 */

/** `re` for `test` with a redundant leading / trailing `.*` removed (same answers). */
export function forTest(re: RegExp): RegExp {
  let src = re.source;
  if (topLevelAlternation(src)) return re;
  if (src.startsWith('.*') && !/^\.\*[?*+{]/.test(src)) src = src.slice(2);
  if (endsWithFreeDotStar(src)) src = src.slice(0, -2);
  if (src === re.source) return re;
  if (src === '') return /(?:)/;
  return new RegExp(src, re.flags.replace('g', ''));
}

/** A test that skips the regex when the text lacks a literal every match contains. */
export function prefiltered(re: RegExp): (text: string) => boolean {
  const literal = requiredLiteral(re);
  if (literal === undefined) return (text) => re.test(text);
  return (text) => text.includes(literal) && re.test(text);
}

/** True when the pattern ends with a greedy `.*` whose dot is not escaped. */
function endsWithFreeDotStar(src: string): boolean {
  if (!src.endsWith('.*')) return false;
  let slashes = 0;
  for (let i = src.length - 3; i >= 0 && src[i] === '\\'; i--) slashes++;
  return slashes % 2 === 0;
}

/** A `|` outside any group or class: the pattern is several alternatives. */
function topLevelAlternation(src: string): boolean {
  let depth = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') i++;
    else if (c === '[') i = classEnd(src, i);
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) return true;
  }
  return false;
}

/** Index of the `]` closing the class opened at `i` (or the end). */
function classEnd(src: string, i: number): number {
  let j = i + 1;
  if (src[j] === '^') j++;
  if (src[j] === ']') j++;
  for (; j < src.length; j++) {
    if (src[j] === '\\') j++;
    else if (src[j] === ']') return j;
  }
  return src.length;
}

const SPECIAL = new Set(['.', '^', '$', '|', '(', ')', '[', ']', '{', '}', '*', '+', '?', '\\']);

/**
 * The longest run of literal characters that every match must contain, read from the pattern's
 * top-level sequence (no alternation); undefined when there is none or the flags make literal
 * comparison wrong (case-insensitive).
 */
export function requiredLiteral(re: RegExp): string | undefined {
  if (re.flags.includes('i')) return undefined;
  const src = re.source;
  if (topLevelAlternation(src)) return undefined;
  let best = '';
  let run = '';
  const end = () => {
    if (run.length > best.length) best = run;
    run = '';
  };
  for (let i = 0; i < src.length; ) {
    let literal: string | undefined;
    let next: number;
    const c = src[i]!;
    if (c === '\\') {
      const e = src[i + 1];
      // Escaped punctuation is that character; letters and digits are classes, anchors, references
      // or code points (`\x41`, `\u{1F680}`, `\p{L}`), skipped whole and never taken as literals.
      literal = e !== undefined && !/[A-Za-z0-9]/.test(e) ? e : undefined;
      next = literal !== undefined ? i + 2 : escapeEnd(src, i);
    } else if (c === '[') {
      next = classEnd(src, i) + 1;
    } else if (c === '(') {
      let depth = 0;
      let j = i;
      for (; j < src.length; j++) {
        if (src[j] === '\\') j++;
        else if (src[j] === '[') j = classEnd(src, j);
        else if (src[j] === '(') depth++;
        else if (src[j] === ')' && --depth === 0) break;
      }
      next = j + 1;
    } else {
      literal = SPECIAL.has(c) ? undefined : c;
      next = i + 1;
    }
    // What quantifies this token decides whether it is required and whether the run goes on.
    const q = src[next];
    if (q === '*' || q === '?' || (q === '{' && /^\{0*(,|\})/.test(src.slice(next)))) {
      end();
      i = skipQuantifier(src, next);
      continue;
    }
    if (q === '+' || q === '{') {
      if (literal !== undefined) run += literal;
      end();
      i = skipQuantifier(src, next);
      continue;
    }
    if (literal !== undefined) run += literal;
    else end();
    i = next;
  }
  end();
  return best === '' ? undefined : best;
}

/** The index after the letter or digit escape at `i` (`\d`, `\x41`, `\u00e9`, `\u{…}`, `\p{…}`, `\k<…>`, `\cX`, `\12`). */
function escapeEnd(src: string, i: number): number {
  const e = src[i + 1];
  const to = (close: string) => {
    const j = src.indexOf(close, i + 2);
    return j < 0 ? src.length : j + 1;
  };
  switch (e) {
    case 'x':
      return i + 4;
    case 'u':
      return src[i + 2] === '{' ? to('}') : i + 6;
    case 'p':
    case 'P':
      return to('}');
    case 'k':
      return to('>');
    case 'c':
      return i + 3;
  }
  if (e !== undefined && /[0-9]/.test(e)) {
    let j = i + 2;
    while (j < src.length && /[0-9]/.test(src[j]!)) j++;
    return j;
  }
  return i + 2;
}

function skipQuantifier(src: string, at: number): number {
  let i = at;
  if (src[i] === '{') {
    const close = src.indexOf('}', i);
    i = close < 0 ? src.length : close + 1;
  } else i++;
  if (src[i] === '?') i++; // lazy
  return i;
}
