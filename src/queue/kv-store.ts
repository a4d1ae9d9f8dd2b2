import type { QueueDatabase } from './database.js';

/**
 * One owner's key/value space in the `kv` table (schema.ts): the storage extension's `openKv`.
 * Reads are immediate; `set` and `delete` join the database's group commit and resolve once
 * committed (and fsync'd when fsync is on).
 */
export class KvStore {
  private readonly sql;

  constructor(
    private readonly database: QueueDatabase,
    private readonly ownerId: string,
  ) {
    const db = database.db;
    this.sql = {
      get: db.prepare('SELECT value FROM kv WHERE component = ? AND key = ?').pluck(),
      set: db.prepare('INSERT INTO kv (component, key, value) VALUES (?, ?, ?) ON CONFLICT (component, key) DO UPDATE SET value = excluded.value'),
      delete: db.prepare('DELETE FROM kv WHERE component = ? AND key = ?'),
    };
  }

  async get(key: string): Promise<string | undefined> {
    return this.sql.get.get(this.ownerId, key) as string | undefined;
  }

  async set(key: string, value: string): Promise<void> {
    await this.database.write(() => this.sql.set.run(this.ownerId, key, value));
  }

  async delete(key: string): Promise<void> {
    await this.database.write(() => this.sql.delete.run(this.ownerId, key));
  }
}
