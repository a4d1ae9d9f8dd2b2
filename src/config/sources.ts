import { readFileSync } from 'node:fs';
import { GatewayError } from '../errors.js';
import { parseCollectorYaml } from './yaml.js';

/**
 * Where a `--config` value comes from, with the Collector's confmap providers:
 *   `file:PATH` (or a bare path), `env:VAR` (the variable holds YAML), `yaml:TEXT` (inline, e.g.
 *   `yaml:exporters::debug::verbosity: detailed`).
 * And `--set KEY=VALUE` (`--set=processors.batch.timeout=2s`), applied after every file: as the
 * Collector's otelcol/flags.go, every `.` of KEY becomes `::` (so a component id holding a dot
 * cannot be reached by `--set`, as there) and the pair is read as `yaml:KEY: VALUE`.
 * In every source a key containing `::` names nested keys, the Collector's key delimiter.
 */

const KEY_DELIMITER = '::';

export type ConfigMap = Record<string, unknown>;

/** Reads one `--config` value into a map (keys with `::` already nested). */
export function readConfigSource(source: string, env: NodeJS.ProcessEnv): ConfigMap {
  const scheme = /^([a-z][a-z0-9+.-]*):/.exec(source)?.[1];
  if (scheme === 'yaml') return nestKeys(parseConfigText(source.slice('yaml:'.length), 'yaml: --config'));
  if (scheme === 'env') {
    const name = source.slice('env:'.length);
    const text = env[name];
    if (text === undefined) throw new GatewayError('CONFIG_FILE_UNREADABLE', `--config ${source}: environment variable ${name} is not set`);
    return nestKeys(parseConfigText(text, source));
  }
  if (scheme !== undefined && scheme !== 'file' && scheme.length > 1) {
    throw new GatewayError('CONFIG_FILE_UNREADABLE', `--config ${source}: unknown config provider "${scheme}" (use file:, env:, yaml: or a path)`);
  }
  // A one-letter "scheme" is a Windows drive letter, i.e. a path.
  const path = scheme === 'file' ? source.slice('file:'.length) : source;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new GatewayError('CONFIG_FILE_UNREADABLE', `cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return nestKeys(parseConfigText(text, path));
}

/** One `--set KEY=VALUE` as a map to merge last; VALUE reads as YAML (`[a, b]`, `5`, `true`). */
export function readSetFlag(flag: string): ConfigMap {
  const eq = flag.indexOf('=');
  if (eq <= 0) throw new GatewayError('CONFIG_FILE_UNREADABLE', `--set ${flag}: expected KEY=VALUE (nested keys joined with "." or "::", e.g. processors.batch.timeout=2s)`);
  const key = flag.slice(0, eq).trim().replaceAll('.', KEY_DELIMITER);
  const text = flag.slice(eq + 1).trim();
  let value: unknown;
  try {
    value = parseCollectorYaml(text);
  } catch {
    value = text;
  }
  return nestKeys({ [key]: value ?? null });
}

/** Parses YAML text the same way files are (for tests and `--config 'yaml:...'`). */
export function parseConfigText(text: string, source: string): ConfigMap {
  let doc: unknown;
  try {
    doc = parseCollectorYaml(text);
  } catch (err) {
    const pos = (err as { linePos?: { line: number; col: number }[] }).linePos;
    const where = pos ? ` (line ${pos[0]!.line}, column ${pos[0]!.col})` : '';
    throw new GatewayError('CONFIG_FILE_UNREADABLE', `${source}: not valid YAML${where}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new GatewayError('CONFIG_FILE_UNREADABLE', `${source}: expected a YAML map at the top level`);
  return doc as ConfigMap;
}

export function isMap(v: unknown): v is ConfigMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Maps merge key by key, later wins; lists and scalars are replaced whole (the Collector's rule). */
export function mergeMaps(a: ConfigMap, b: ConfigMap): ConfigMap {
  const out: ConfigMap = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = isMap(out[k]) && isMap(v) ? mergeMaps(out[k] as ConfigMap, v) : v;
  return out;
}

/** `{"a::b": 1}` → `{a: {b: 1}}`, at every level of maps. */
export function nestKeys(map: ConfigMap): ConfigMap {
  let out: ConfigMap = {};
  for (const [key, raw] of Object.entries(map)) {
    const value = isMap(raw) ? nestKeys(raw) : raw;
    const parts = key.split(KEY_DELIMITER);
    let nested: unknown = value;
    for (let i = parts.length - 1; i > 0; i--) nested = { [parts[i]!]: nested };
    out = mergeMaps(out, { [parts[0]!]: nested });
  }
  return out;
}
