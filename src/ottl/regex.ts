/**
 * The Collector's regexes are Go RE2. Most RE2 syntax means the same in JS; these are translated:
 * leading inline flags `(?i)`, `(?s)`, `(?m)` become RegExp flags, `(?P<name>…)` becomes
 * `(?<name>…)`, `\A` and `\z` become `^` and `$`, and POSIX classes `[[:alpha:]]` etc. expand.
 * Flags in the middle of a pattern (`a(?i)b`) and `\C` have no JS equivalent and are refused.
 * Backreferences and lookaround, which RE2 rejects, are accepted here (documented difference).
 */

const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-/:-@[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

export function compileGoRegex(pattern: string, extraFlags = ''): RegExp {
  let body = pattern;
  let flags = extraFlags;
  const lead = /^\(\?([imsU]+)\)/.exec(body);
  if (lead) {
    if (lead[1].includes('U')) throw new Error('the (?U) flag is not supported');
    for (const f of lead[1]) if (!flags.includes(f)) flags += f;
    body = body.slice(lead[0].length);
  }
  if (/\(\?[imsU]+\)/.test(body)) throw new Error('inline flags are only supported at the start of a pattern');
  body = body
    .replace(/\(\?P</g, '(?<')
    .replace(/\\A/g, '^')
    .replace(/\\z/g, '$')
    .replace(/\[:(\^?)([a-z]+):\]/g, (m, neg: string, name: string) => {
      const cls = POSIX[name];
      if (!cls) return m;
      return neg ? `^${cls}` : cls;
    });
  try {
    return new RegExp(body, flags + 'u');
  } catch {
    // Unicode mode refuses identity escapes such as "\-" outside a class that RE2 allows.
    return new RegExp(body, flags);
  }
}

/** A global copy of a compiled regex for replace-all operations. */
export function globalOf(re: RegExp): RegExp {
  return new RegExp(re.source, re.flags.includes('g') ? re.flags : re.flags + 'g');
}

/**
 * Go's Regexp.Expand template semantics for replacements: `$1`, `${1}`, `$name`, `${name}`
 * reference groups (the name is the longest run of letters, digits and `_`, so `$1x` names group
 * "1x", which is empty); `$$` is a literal `$`; unknown groups expand to "".
 */
export function goReplacer(template: string): (match: string, ...rest: unknown[]) => string {
  if (!template.includes('$')) return () => template;
  type Part = string | { group: string };
  const parts: Part[] = [];
  let lit = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (c !== '$') {
      lit += c;
      continue;
    }
    if (template[i + 1] === '$') {
      lit += '$';
      i++;
      continue;
    }
    let name: string | undefined;
    let end = i;
    if (template[i + 1] === '{') {
      const close = template.indexOf('}', i + 2);
      const inner = close > 0 ? template.slice(i + 2, close) : '';
      if (close > 0 && /^[A-Za-z0-9_]+$/.test(inner)) {
        name = inner;
        end = close;
      }
    } else {
      const m = /^[A-Za-z0-9_]+/.exec(template.slice(i + 1));
      if (m) {
        name = m[0];
        end = i + m[0].length;
      }
    }
    if (name === undefined) {
      lit += c;
      continue;
    }
    if (lit) parts.push(lit);
    lit = '';
    parts.push({ group: name });
    i = end;
  }
  if (lit) parts.push(lit);
  return (match: string, ...rest: unknown[]) => {
    // String.replace passes (match, g1..gn, offset, input[, groups]).
    const last = rest[rest.length - 1];
    const named = typeof last === 'object' && last !== null ? (last as Record<string, string | undefined>) : undefined;
    const groupCount = rest.length - (named ? 3 : 2);
    let out = '';
    for (const p of parts) {
      if (typeof p === 'string') {
        out += p;
        continue;
      }
      if (/^\d+$/.test(p.group)) {
        const n = Number(p.group);
        if (n === 0) out += match;
        else if (n <= groupCount) out += (rest[n - 1] as string | undefined) ?? '';
      } else {
        out += named?.[p.group] ?? '';
      }
    }
    return out;
  };
}

/** Glob patterns (replace_match, replace_all_matches) as an anchored regex: `*` any run, `?` one char. */
export function globToRegex(glob: string): RegExp {
  let src = '';
  for (const c of glob) {
    if (c === '*') src += '.*';
    else if (c === '?') src += '.';
    else src += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${src}$`, 's');
}
