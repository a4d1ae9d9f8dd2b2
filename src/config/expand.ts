import { readFileSync } from 'node:fs';
import { parseCollectorYaml } from './yaml.js';

/**
 * Expansion with the Collector's confmap rules:
 *   ${env:VAR}  ${VAR}  ${env:VAR:-default}  ${file:PATH}  and  $$ → a literal $.
 * A scalar that is exactly one reference takes the type its value reads as in YAML (so
 * `port: ${env:PORT}` is a number; a whole `${file:…}` may even be a map), but an env value reads
 * as a number or boolean only: a secret like "a: b" stays a string. Inside a longer string a
 * file's content is inserted without its final newline (a token file ends with one).
 * An unset variable without a default becomes an empty string and a warning (the Collector's
 * behaviour); an unreadable file is an error.
 */
const REF = /\$\$|\$\{(?:(env|file):)?([^}:]+?|[^}]+?)(?::-([^}]*))?\}/g;
const WHOLE_REF = /^\$\{(?:(env|file):)?([^}]+?)(?::-([^}]*))?\}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface ExpandProblem {
  kind: 'env' | 'file';
  path: string;
  /** The variable name, or the file path. */
  variable: string;
  detail?: string;
}

/**
 * The text a reference expanded to where it was read as a number or boolean, by the map (or list)
 * holding it and its key: the Collector decodes such a value into a string field as the text itself
 * (`key: ${env:DD_API_KEY}` with "0123" stays "0123"), which validation restores from here
 * (src/config/null-sections.ts).
 */
export const expandedText = new WeakMap<object, Map<string | number, string>>();

function remember(holder: object, key: string | number, raw: unknown, expanded: unknown, env: NodeJS.ProcessEnv): void {
  if (typeof raw !== 'string' || (typeof expanded !== 'number' && typeof expanded !== 'boolean')) return;
  const whole = WHOLE_REF.exec(raw);
  if (!whole || whole[1] === 'file') return;
  const text = env[whole[2]!] ?? whole[3];
  if (text === undefined) return;
  let m = expandedText.get(holder);
  if (!m) expandedText.set(holder, (m = new Map()));
  m.set(key, text);
}

export function expandEnv(value: unknown, env: NodeJS.ProcessEnv, problems: ExpandProblem[], path = ''): unknown {
  if (typeof value === 'string') return expandString(value, env, problems, path);
  if (Array.isArray(value)) {
    const out: unknown[] = value.map((v, i) => expandEnv(v, env, problems, `${path}[${i}]`));
    value.forEach((v, i) => remember(out, i, v, out[i], env));
    return out;
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = expandEnv(v, env, problems, path ? `${path}.${k}` : k);
      remember(out, k, v, out[k], env);
    }
    return out;
  }
  return value;
}

function envValue(name: string, fallback: string | undefined, env: NodeJS.ProcessEnv, problems: ExpandProblem[], path: string): string {
  const v = env[name];
  if (v !== undefined) return v;
  if (fallback !== undefined) return fallback;
  problems.push({ kind: 'env', path, variable: name });
  return '';
}

function fileContent(file: string, problems: ExpandProblem[], path: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    problems.push({ kind: 'file', path, variable: file, detail: (err as NodeJS.ErrnoException).code ?? (err as Error).message });
    return undefined;
  }
}

function expandString(s: string, env: NodeJS.ProcessEnv, problems: ExpandProblem[], path: string): unknown {
  if (!s.includes('$')) return s;
  const whole = WHOLE_REF.exec(s);
  if (whole && (whole[1] === 'file' || ENV_NAME.test(whole[2]!))) {
    if (whole[1] === 'file') {
      const text = fileContent(whole[2]!, problems, path);
      return text === undefined ? '' : yamlValue(text);
    }
    return inferScalar(envValue(whole[2]!, whole[3], env, problems, path));
  }
  return s.replace(REF, (m, scheme: string | undefined, name: string, fallback: string | undefined) => {
    if (m === '$$') return '$';
    if (scheme === 'file') return (fileContent(name, problems, path) ?? '').replace(/\r?\n$/, '');
    // Not a reference the Collector would expand (e.g. "${not a var}"): keep the text.
    if (!ENV_NAME.test(name)) return m;
    return envValue(name, fallback, env, problems, path);
  });
}

/** A whole-file value: what its YAML reads as (a map, a list, a number), else its text. */
function yamlValue(text: string): unknown {
  try {
    const v = parseCollectorYaml(text);
    return v ?? '';
  } catch {
    return text.replace(/\r?\n$/, '');
  }
}

function inferScalar(raw: string): unknown {
  if (raw === '') return raw;
  try {
    const v = parseCollectorYaml(raw);
    if (typeof v === 'number' || typeof v === 'boolean') return v;
  } catch {
    // not YAML: keep the string
  }
  return raw;
}
