import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { RotationConfig } from './config.js';

/**
 * Backup naming and pruning as the Collector's file exporter does it (through lumberjack): a full
 * file is renamed with its rotation time before the extension — `data.json` becomes
 * `data-2022-09-14T05-02-14.173.json` — and a new file is started at the original path. Backups
 * beyond `max_backups`, or older than `max_days`, are deleted, oldest first.
 */
const BYTES_PER_MEGABYTE = 1024 * 1024;
const MS_PER_DAY = 24 * 60 * 60 * 1000;
const STAMP_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})-(\d{2})-(\d{2})\.(\d{3})$/;

export function maxBytes(rotation: RotationConfig): number {
  return rotation.max_megabytes * BYTES_PER_MEGABYTE;
}

function parts(filePath: string) {
  const ext = path.extname(filePath);
  return { dir: path.dirname(filePath), prefix: path.basename(filePath, ext) + '-', ext };
}

/** `2022-09-14T05-02-14.173`, in UTC unless `localtime`. */
export function formatStamp(at: Date, localtime: boolean): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const [y, mo, d, h, mi, s, ms] = localtime
    ? [at.getFullYear(), at.getMonth() + 1, at.getDate(), at.getHours(), at.getMinutes(), at.getSeconds(), at.getMilliseconds()]
    : [at.getUTCFullYear(), at.getUTCMonth() + 1, at.getUTCDate(), at.getUTCHours(), at.getUTCMinutes(), at.getUTCSeconds(), at.getUTCMilliseconds()];
  return `${p(y, 4)}-${p(mo)}-${p(d)}T${p(h)}-${p(mi)}-${p(s)}.${p(ms, 3)}`;
}

export function backupPath(filePath: string, at: Date, localtime: boolean): string {
  const { dir, prefix, ext } = parts(filePath);
  return path.join(dir, `${prefix}${formatStamp(at, localtime)}${ext}`);
}

function parseStamp(stamp: string, localtime: boolean): number | undefined {
  const m = STAMP_RE.exec(stamp);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s, ms] = m.slice(1).map(Number);
  return localtime ? new Date(y, mo - 1, d, h, mi, s, ms).getTime() : Date.UTC(y, mo - 1, d, h, mi, s, ms);
}

/** Backups of `filePath`, newest first. */
export async function listBackups(filePath: string, localtime: boolean): Promise<{ file: string; at: number }[]> {
  const { dir, prefix, ext } = parts(filePath);
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const found: { file: string; at: number }[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith(ext)) continue;
    const at = parseStamp(name.slice(prefix.length, name.length - ext.length), localtime);
    if (at !== undefined) found.push({ file: path.join(dir, name), at });
  }
  return found.sort((a, b) => b.at - a.at);
}

/** Rename the current file to a timestamped backup (a unique name even within one millisecond). */
export async function rotate(filePath: string, rotation: RotationConfig, now: number): Promise<string> {
  let at = now;
  let target = backupPath(filePath, new Date(at), rotation.localtime);
  while (await exists(target)) target = backupPath(filePath, new Date(++at), rotation.localtime);
  await fs.rename(filePath, target);
  return target;
}

export async function pruneBackups(filePath: string, rotation: RotationConfig, now: number): Promise<string[]> {
  const backups = await listBackups(filePath, rotation.localtime);
  const doomed = backups.filter(
    (b, i) => (rotation.max_backups > 0 && i >= rotation.max_backups) || (rotation.max_days > 0 && now - b.at > rotation.max_days * MS_PER_DAY),
  );
  for (const b of doomed) await fs.rm(b.file, { force: true });
  return doomed.map((b) => b.file);
}

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(
    () => true,
    () => false,
  );
}
