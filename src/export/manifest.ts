import { open, rename } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { syncDirectoryAsync } from '../queue/sync-directory.js';
import { effectiveCompression, type JobInfo } from './job.js';

/**
 * `manifest.json`, written last and atomically (temporary name, fsync, rename, directory fsync):
 * its presence means every file it lists is complete. It holds nothing that differs between two
 * runs of the same job, so a finished job rerun leaves it byte-identical.
 */
export const MANIFEST_FILE = 'manifest.json';

export function manifestOf(job: JobInfo): Record<string, unknown> {
  const s = job.spec;
  return {
    job: job.id,
    state: 'succeeded',
    source: { receiver: s.receiver, from: new Date(s.fromMs).toISOString(), to: new Date(s.toMs).toISOString() },
    selection: { scenarioIds: s.scenarioIds ?? null, statuses: s.statuses ?? null, where: s.where },
    shape: { statements: s.statements, fields: s.fields ?? null },
    format: s.format,
    compression: effectiveCompression(s),
    records: job.files.reduce((n, f) => n + f.records, 0),
    files: job.files.map((f) => ({ path: basename(f.path), records: f.records, bytes: f.bytes, sha256: f.sha256 })),
  };
}

export async function writeManifest(directory: string, job: JobInfo): Promise<string> {
  const path = join(directory, MANIFEST_FILE);
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(JSON.stringify(manifestOf(job), null, 2) + '\n');
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  await syncDirectoryAsync(directory);
  return path;
}
