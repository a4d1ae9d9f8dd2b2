import { accessSync, constants } from 'node:fs';
import type { ExtensionCapability, ExtensionFactory } from '../pipeline/factory.js';
import type { Kind } from '../pipeline/registry.js';
import { joinPath } from './issues.js';

/**
 * The checks `validate` shares with start, so a config that validates also starts: every
 * extension a component names (`auth.authenticator`, `storage`, `sending_queue.storage`) exists,
 * is listed in `service.extensions` and provides what the name is used for; no two listeners
 * share a port; every TLS file named can be read.
 */

export interface ParsedComponent {
  readonly id: string;
  readonly factory: { kind: Kind } & Partial<Pick<ExtensionFactory, 'provides'>>;
  readonly config: unknown;
}

type Section = 'receivers' | 'processors' | 'exporters' | 'extensions';

interface Reference {
  path: string;
  extensionId: string;
  needs: ExtensionCapability;
}

const NEEDS_AUTH: Record<Section, ExtensionCapability> = {
  receivers: 'server_auth',
  extensions: 'server_auth',
  exporters: 'client_auth',
  processors: 'client_auth',
};

const CAPABILITY_WORDS: Record<ExtensionCapability, string> = {
  storage: 'a storage extension (file_storage)',
  server_auth: 'an authenticator for incoming requests (bearertokenauth, basicauth with htpasswd)',
  client_auth: 'an authenticator for outgoing requests (bearertokenauth, basicauth with client_auth, oauth2client, headers_setter)',
};

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

function referencesIn(section: Section, value: unknown, path: string, parentKey: string, out: Reference[]): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => referencesIn(section, v, `${path}[${i}]`, parentKey, out));
    return;
  }
  if (!isMap(value)) return;
  for (const [key, v] of Object.entries(value)) {
    const at = joinPath(path, [key]);
    if (typeof v === 'string' && key === 'authenticator' && parentKey === 'auth') out.push({ path: at, extensionId: v, needs: NEEDS_AUTH[section] });
    else if (typeof v === 'string' && key === 'storage') out.push({ path: at, extensionId: v, needs: 'storage' });
    else referencesIn(section, v, at, key, out);
  }
}

/** Extension references of the components in use, checked against what is defined and listed. */
export function checkReferences(
  used: Record<Section, ParsedComponent[]>,
  defined: ReadonlyMap<string, ParsedComponent>,
  listed: readonly string[],
  errors: string[],
): void {
  const refs: Reference[] = [];
  for (const section of Object.keys(used) as Section[]) {
    for (const c of used[section]) referencesIn(section, c.config, `${section}.${c.id}`, '', refs);
  }
  for (const ref of refs) {
    const ext = defined.get(ref.extensionId);
    if (!ext) {
      errors.push(`${ref.path}: extension "${ref.extensionId}" is not defined under extensions`);
      continue;
    }
    if (!listed.includes(ref.extensionId)) {
      errors.push(`${ref.path}: extension "${ref.extensionId}" is not listed in service.extensions (add it there so it starts)`);
      continue;
    }
    const provides = ext.factory.provides ?? [];
    if (!provides.includes(ref.needs)) errors.push(`${ref.path}: extension "${ref.extensionId}" is not ${CAPABILITY_WORDS[ref.needs]}`);
  }
}

interface Listener {
  path: string;
  host: string;
  port: number;
}

function listenersIn(value: unknown, path: string, out: Listener[]): void {
  if (Array.isArray(value)) return value.forEach((v, i) => listenersIn(v, `${path}[${i}]`, out));
  if (!isMap(value)) return;
  const keys = Object.keys(value);
  // listenEndpoint() parses `host:port` into exactly this shape (src/config/types.ts).
  if (keys.length === 2 && typeof value.host === 'string' && typeof value.port === 'number') {
    out.push({ path, host: value.host, port: value.port });
    return;
  }
  for (const [k, v] of Object.entries(value)) listenersIn(v, joinPath(path, [k]), out);
}

const ANY_HOST = new Set(['0.0.0.0', '::', '']);

/** Two listeners on one port (0 aside) would make the second fail to start: say so now. */
export function checkListenPorts(components: { path: string; config: unknown }[], extra: Listener[], errors: string[]): void {
  const listeners: Listener[] = [...extra];
  for (const c of components) listenersIn(c.config, c.path, listeners);
  for (let i = 0; i < listeners.length; i++) {
    for (let j = 0; j < i; j++) {
      const [a, b] = [listeners[i]!, listeners[j]!];
      if (a.port === 0 || a.port !== b.port) continue;
      if (a.host === b.host || ANY_HOST.has(a.host) || ANY_HOST.has(b.host)) {
        errors.push(`${a.path}: port ${a.port} is already used by ${b.path}`);
      }
    }
  }
}

const TLS_FILE_KEYS = new Set(['cert_file', 'key_file', 'ca_file', 'client_ca_file']);

/** Every TLS file a component names must be readable now, not at the first handshake. */
export function checkTlsFiles(components: { path: string; config: unknown }[], errors: string[]): void {
  const visit = (value: unknown, path: string) => {
    if (Array.isArray(value)) return value.forEach((v, i) => visit(v, `${path}[${i}]`));
    if (!isMap(value)) return;
    for (const [k, v] of Object.entries(value)) {
      const at = joinPath(path, [k]);
      if (TLS_FILE_KEYS.has(k) && typeof v === 'string' && v !== '') {
        try {
          accessSync(v, constants.R_OK);
        } catch (err) {
          errors.push(`${at}: cannot read ${JSON.stringify(v)} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
        }
      } else visit(v, at);
    }
  };
  for (const c of components) visit(c.config, c.path);
}
