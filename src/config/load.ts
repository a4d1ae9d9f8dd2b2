import { readFileSync } from 'node:fs';
import { YAMLParseError, parse as parseYaml } from 'yaml';
import { GatewayError } from '../errors.js';
import { expandEnv, type ExpandProblem } from './expand.js';

/**
 * Reads one or more YAML files and merges them in order, as the Collector does with repeated
 * --config flags: maps merge key by key, later files win, lists are replaced whole.
 */
export function readConfigFiles(paths: string[], env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  if (paths.length === 0) throw new GatewayError('CONFIG_FILE_UNREADABLE', 'no configuration given: pass --config FILE');
  let merged: Record<string, unknown> = {};
  for (const path of paths) merged = mergeMaps(merged, readOne(path));
  const problems: ExpandProblem[] = [];
  const expanded = expandEnv(merged, env, problems) as Record<string, unknown>;
  if (problems.length > 0) {
    const lines = problems.map((p) => `${p.path}: environment variable ${p.variable} is not set (use \${env:${p.variable}:-default} for a default)`);
    throw new GatewayError('CONFIG_ENV_UNDEFINED', lines.join('\n'));
  }
  return expanded;
}

/** Parses YAML text the same way files are (for tests and `--config 'yaml:...'`). */
export function parseConfigText(text: string, source: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = parseYaml(text, { uniqueKeys: true });
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? ` (line ${err.linePos[0].line}, column ${err.linePos[0].col})` : '';
    throw new GatewayError('CONFIG_FILE_UNREADABLE', `${source}: not valid YAML${where}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new GatewayError('CONFIG_FILE_UNREADABLE', `${source}: expected a YAML map at the top level`);
  return doc as Record<string, unknown>;
}

function readOne(path: string): Record<string, unknown> {
  // The Collector's inline form: --config 'yaml:exporters::debug::verbosity: detailed' is not
  // supported; a plain path is.
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new GatewayError('CONFIG_FILE_UNREADABLE', `cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseConfigText(text, path);
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function mergeMaps(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = isMap(out[k]) && isMap(v) ? mergeMaps(out[k] as Record<string, unknown>, v) : v;
  return out;
}
