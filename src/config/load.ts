import { GatewayError } from '../errors.js';
import { expandEnv, type ExpandProblem } from './expand.js';
import { mergeMaps, readConfigSource, readSetFlag } from './sources.js';

export { mergeMaps, parseConfigText } from './sources.js';

/** What reading the config noticed that is not an error (an unset variable, read as empty). */
export type ConfigWarnings = string[];

/**
 * Reads one or more `--config` sources (paths, `file:`, `env:`, `yaml:`) and merges them in order,
 * as the Collector does with repeated --config flags: maps merge key by key, later sources win,
 * lists are replaced whole; then `--set` flags, then `${…}` expansion.
 */
export function readConfigFiles(sources: string[], env: NodeJS.ProcessEnv = process.env, sets: string[] = [], warnings: ConfigWarnings = []): Record<string, unknown> {
  if (sources.length === 0) throw new GatewayError('CONFIG_FILE_UNREADABLE', 'no configuration given: pass --config FILE');
  let merged: Record<string, unknown> = {};
  for (const source of sources) merged = mergeMaps(merged, readConfigSource(source, env));
  for (const flag of sets) merged = mergeMaps(merged, readSetFlag(flag));
  const problems: ExpandProblem[] = [];
  const expanded = expandEnv(merged, env, problems) as Record<string, unknown>;
  for (const p of problems) {
    if (p.kind === 'file') throw new GatewayError('CONFIG_FILE_UNREADABLE', `${p.path}: \${file:${p.variable}}: ${p.detail}`);
    // The Collector's rule: an unset variable without a default is an empty string, with a warning.
    warnings.push(`${p.path}: environment variable ${p.variable} is not set; using an empty string (write \${env:${p.variable}:-default} for a default)`);
  }
  return expanded;
}
