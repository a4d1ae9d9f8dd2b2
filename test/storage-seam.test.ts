import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The storage seam, read from the source tree (issue #17, acceptance 1): the `file_storage`
 * extension owns the database and hands out queues and key/value clients; nothing else opens
 * or queries it. Statements are prepared only in the store files; the exporter codes against the
 * queue's types alone; no module keeps a process-wide table of open databases.
 */

const SRC = join(import.meta.dirname, '..', 'src');

function sources(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

const rel = (path: string) => relative(SRC, path).split('\\').join('/');
const read = (path: string) => readFileSync(path, 'utf8');

/** Where SQL statements may be prepared: the storage's store files (queues, key/value, export jobs). */
const STORE_FILES = /^queue\/[a-z-]+\.ts$/;

describe('the storage seam (docs/architecture.md §5)', () => {
  it('prepares SQL statements only in the storage and queue store files', () => {
    const preparing = sources()
      .filter((f) => /\bdb\.prepare\(|\.db\.prepare\(/.test(read(f)))
      .map(rel);
    expect(preparing.length).toBeGreaterThan(0);
    expect(preparing.filter((f) => !STORE_FILES.test(f))).toEqual([]);
  });

  it('opens SQLite files only in the storage files, never in a component (export jobs included)', () => {
    const opening = sources()
      .filter((f) => /\bnew Database\(/.test(read(f)))
      .map(rel);
    expect(opening.length).toBeGreaterThan(0);
    expect(opening.filter((f) => !STORE_FILES.test(f))).toEqual([]);
    const jobStores = sources()
      .filter((f) => /\bopenJobStore\(this\.directory|new JobStore\(/.test(read(f)))
      .map(rel)
      .sort();
    expect(jobStores).toEqual(['extensions/file_storage/extension.ts', 'queue/job-store.ts']);
  });

  it('lets the exporter helper import only types from queue/', () => {
    const text = read(join(SRC, 'exporters', 'helper', 'exporter.ts'));
    const fromQueue = [...text.matchAll(/^import\s+(type\s+)?[^;]*?from\s+'([^']*\/queue\/[^']*)';/gms)];
    expect(fromQueue.length).toBeGreaterThan(0);
    expect(fromQueue.filter((m) => m[1] === undefined).map((m) => m[2])).toEqual([]);
    expect(text).not.toMatch(/instanceof\s+(SqliteQueue|MemoryQueue)/);
  });

  it('tests no queue class with instanceof outside queue/', () => {
    const offenders = sources()
      .filter((f) => !rel(f).startsWith('queue/') && /instanceof\s+(SqliteQueue|MemoryQueue|QueueDatabase)\b/.test(read(f)))
      .map(rel);
    expect(offenders).toEqual([]);
  });

  it('keeps no module-level map of open databases', () => {
    const offenders = sources()
      .filter((f) => /^(const|let|var|export const)\s+\w+\s*(:[^=]*)?=\s*new (Map|WeakMap|Set)<[^>]*(Database|QueueDatabase)/m.test(read(f)))
      .map(rel);
    expect(offenders).toEqual([]);
    expect(sources().filter((f) => /\b(acquireDatabase|releaseDatabase)\b/.test(read(f))).map(rel)).toEqual([]);
  });

  it('opens the queue database only through the storage extension, the queue command, and queue tools', () => {
    const opening = sources()
      .filter((f) => /\bopenOwnedDatabase\(|QueueDatabase\.open\(/.test(read(f)))
      .map(rel)
      .sort();
    expect(opening).toEqual(['extensions/file_storage/extension.ts', 'queue/database.ts', 'queue/sqlite-queue.ts']);
  });

  it('finds the storage extension by capability, not by shape', () => {
    const provider = read(join(SRC, 'exporters', 'helper', 'queue-provider.ts'));
    expect(provider).toMatch(/extensionAs<StorageExtension>\(host, [^,]+, 'storage'/);
    expect(read(join(SRC, 'extensions', 'file_storage', 'extension.ts'))).toMatch(/readonly provides = \['storage'\]/);
  });
});
