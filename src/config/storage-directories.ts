import { resolve } from 'node:path';
import type { ParsedComponent } from './references.js';

/**
 * Two storage extensions on one directory would both own its database (two connections folding,
 * staging and counting on their own): refused at validate time, with both names. `file_storage`
 * refuses it at start as well (owner-lock.ts), for a config that skipped validation.
 */
export function checkStorageDirectories(extensions: readonly ParsedComponent[], errors: string[]): void {
  const owners = new Map<string, string>();
  for (const ext of extensions) {
    if (!ext.factory.provides?.includes('storage')) continue;
    const directory = (ext.config as { directory?: unknown } | undefined)?.directory;
    if (typeof directory !== 'string') continue;
    const key = resolve(directory);
    const other = owners.get(key);
    if (other === undefined) owners.set(key, ext.id);
    else errors.push(`extensions.${ext.id}.directory: ${key} is already the directory of extensions.${other}; give each storage extension its own directory`);
  }
}
