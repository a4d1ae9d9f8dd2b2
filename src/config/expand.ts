import { parse as parseYaml } from 'yaml';

/**
 * Environment expansion with the Collector's confmap rules:
 *   ${env:VAR}  ${VAR}  ${env:VAR:-default}  and  $$ → a literal $.
 * A scalar that is exactly one reference takes the type its value reads as in YAML (so
 * `port: ${env:PORT}` is a number), but only for plain scalars: a secret like "a: b" stays a string.
 * An undefined variable without a default is an error naming the key path (the Collector
 * substitutes an empty string with a warning, which turns typos into silent misconfiguration).
 */
const REF = /\$\$|\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;
const WHOLE_REF = /^\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}$/;

export interface ExpandProblem {
  path: string;
  variable: string;
}

export function expandEnv(value: unknown, env: NodeJS.ProcessEnv, problems: ExpandProblem[], path = ''): unknown {
  if (typeof value === 'string') return expandString(value, env, problems, path);
  if (Array.isArray(value)) return value.map((v, i) => expandEnv(v, env, problems, `${path}[${i}]`));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = expandEnv(v, env, problems, path ? `${path}.${k}` : k);
    return out;
  }
  return value;
}

function lookup(name: string, fallback: string | undefined, env: NodeJS.ProcessEnv, problems: ExpandProblem[], path: string): string {
  const v = env[name];
  if (v !== undefined) return v;
  if (fallback !== undefined) return fallback;
  problems.push({ path, variable: name });
  return '';
}

function expandString(s: string, env: NodeJS.ProcessEnv, problems: ExpandProblem[], path: string): unknown {
  if (!s.includes('$')) return s;
  const whole = WHOLE_REF.exec(s);
  if (whole) {
    const raw = lookup(whole[1], whole[2], env, problems, path);
    return inferScalar(raw);
  }
  return s.replace(REF, (m, name: string | undefined, fallback: string | undefined) => {
    if (m === '$$') return '$';
    return lookup(name!, fallback, env, problems, path);
  });
}

function inferScalar(raw: string): unknown {
  if (raw === '') return raw;
  try {
    const v = parseYaml(raw);
    if (typeof v === 'number' || typeof v === 'boolean') return v;
  } catch {
    // not YAML: keep the string
  }
  return raw;
}
