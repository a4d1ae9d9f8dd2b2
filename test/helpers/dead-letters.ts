import { fileStorageExtensionFactory } from '../../src/extensions/file_storage/factory.js';
import type { StorageExtension } from '../../src/extensions/storage.js';
import type { DeadLetterEntry } from '../../src/queue/queue.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import { silentLogger } from '../../src/telemetry/logger.js';

/**
 * The dead letters of `ownerId` in a file_storage directory, read the way the `queue` command reads
 * them (the extension's offline `inspect`), so it works while a gateway's storage holds the
 * directory too.
 */
export async function deadLettersIn(directory: string, ownerId: string): Promise<DeadLetterEntry[]> {
  const storage = fileStorageExtensionFactory.create({ id: 'file_storage', telemetry: new Telemetry(), logger: silentLogger }, fileStorageExtensionFactory.schema.parse({ directory })) as unknown as StorageExtension;
  const view = storage.inspect?.();
  if (!view) return [];
  try {
    return await view.queue(ownerId).listDeadLetters({ limit: 100_000 });
  } finally {
    await view.close();
  }
}
