import { lstat, unlink } from 'node:fs/promises';
import { createConnection } from 'node:net';

/**
 * Makes a unix socket path ready to listen on. A socket file left by a gateway that was killed
 * (kill -9 leaves it behind) is removed when nothing answers on it, so a restart does not fail
 * with EADDRINUSE; a live socket or a file that is not a socket is never touched.
 */
export async function prepareUnixSocket(path: string): Promise<void> {
  const info = await lstat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (!info) return;
  if (!info.isSocket()) throw new Error(`${path} exists and is not a socket`);
  const live = await new Promise<boolean>((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (live) throw new Error(`${path} is in use by another process`);
  await unlink(path);
}
