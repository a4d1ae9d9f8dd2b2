import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { GatewayError } from '../../errors.js';
import type { CreateSettings, Host } from '../../pipeline/component.js';
import { acquireDatabase, releaseDatabase, type QueueDatabase } from '../../queue/database.js';
import type { StorageClient, StorageExtension } from '../storage.js';
import type { FileStorageConfig } from './config.js';

/**
 * `file_storage`: one SQLite database in `directory`, shared by the persistent queues of the
 * exporters that name this extension in `sending_queue.storage` and by the key/value clients of
 * components that keep state here (the Make receiver's poll cursors).
 */
export class FileStorageExtension implements StorageExtension {
  readonly kind = 'storage' as const;
  readonly directory: string;
  readonly fsync: boolean;
  readonly lockTimeoutMs: number;
  private database: QueueDatabase | undefined;

  constructor(
    private readonly settings: CreateSettings,
    config: FileStorageConfig,
  ) {
    this.directory = resolve(config.directory);
    this.fsync = config.fsync;
    this.lockTimeoutMs = config.timeout;
  }

  async start(_host: Host): Promise<void> {
    try {
      mkdirSync(this.directory, { recursive: true });
    } catch (err) {
      throw new GatewayError('COMPONENT_START_FAILED', `extensions.${this.settings.id}: cannot create directory ${this.directory}: ${(err as Error).message}`);
    }
    this.database = acquireDatabase(this.directory, this.fsync, (message) => this.settings.logger.warn(message, { extension: this.settings.id }), this.lockTimeoutMs);
    if (!this.fsync) this.settings.logger.warn('file_storage fsync is off: a power loss may lose acknowledged data', { extension: this.settings.id });
  }

  async shutdown(): Promise<void> {
    if (!this.database) return;
    const database = this.database;
    this.database = undefined;
    await releaseDatabase(database);
  }

  getClient(kind: 'receiver' | 'processor' | 'exporter', componentId: string): StorageClient {
    if (!this.database) throw new GatewayError('COMPONENT_START_FAILED', `extensions.${this.settings.id}: storage used before the extension started`);
    return new SqliteStorageClient(this.database, `${kind}/${componentId}`);
  }
}

/** A component's private key/value space in the `kv` table; `set` resolves once committed. */
class SqliteStorageClient implements StorageClient {
  private readonly sql;

  constructor(
    private readonly database: QueueDatabase,
    private readonly component: string,
  ) {
    const db = database.db;
    this.sql = {
      get: db.prepare('SELECT value FROM kv WHERE component = ? AND key = ?').pluck(),
      set: db.prepare('INSERT INTO kv (component, key, value) VALUES (?, ?, ?) ON CONFLICT (component, key) DO UPDATE SET value = excluded.value'),
      delete: db.prepare('DELETE FROM kv WHERE component = ? AND key = ?'),
    };
  }

  async get(key: string): Promise<string | undefined> {
    return this.sql.get.get(this.component, key) as string | undefined;
  }

  async set(key: string, value: string): Promise<void> {
    await this.database.write(() => this.sql.set.run(this.component, key, value));
  }

  async delete(key: string): Promise<void> {
    await this.database.write(() => this.sql.delete.run(this.component, key));
  }
}
