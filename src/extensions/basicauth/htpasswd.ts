import { createHash, timingSafeEqual } from 'node:crypto';
import bcrypt from 'bcryptjs';

/**
 * htpasswd entries, `user:hash` per line. Hash forms read: bcrypt (`$2y$`, `$2a$`, `$2b$`, what
 * `htpasswd -B` writes and what contrib's docs use), `{SHA}` (base64 SHA-1, `htpasswd -s`) and
 * plain text (`htpasswd -p`). Apache's `$apr1$` MD5 and crypt(3) are refused at start with a clear
 * message rather than silently never matching.
 */
export type Verify = (password: string) => Promise<boolean>;

export function parseHtpasswd(text: string, source: string): Map<string, Verify> {
  const users = new Map<string, Verify>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`${source} line ${i + 1}: expected user:hash`);
    const user = line.slice(0, colon);
    const hash = line.slice(colon + 1);
    users.set(user, verifierFor(hash, `${source} line ${i + 1}`));
  });
  return users;
}

function verifierFor(hash: string, where: string): Verify {
  if (/^\$2[aby]\$/.test(hash)) return (password) => bcrypt.compare(password, hash.replace(/^\$2y\$/, '$2b$'));
  if (hash.startsWith('{SHA}')) {
    const want = Buffer.from(hash.slice(5), 'base64');
    return async (password) => equal(createHash('sha1').update(password, 'utf8').digest(), want);
  }
  if (hash.startsWith('$apr1$') || hash.startsWith('$1$') || hash.startsWith('$5$') || hash.startsWith('$6$')) {
    throw new Error(`${where}: ${hash.slice(0, hash.indexOf('$', 1) + 1)} hashes are not supported; use bcrypt (htpasswd -B)`);
  }
  const want = Buffer.from(hash, 'utf8');
  return async (password) => equal(Buffer.from(password, 'utf8'), want);
}

/** Constant-time for equal lengths; a length mismatch is a mismatch (it reveals only the length). */
function equal(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
