import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GatewayError } from '../../errors.js';
import type { CreateSettings, Host } from '../../pipeline/component.js';
import { openOwnedDatabase, QueueDatabase } from '../../queue/database.js';
import { openJobStore, type JobStore } from '../../queue/job-store.js';
import { KvStore } from '../../queue/kv-store.js';
import { inspectDatabase } from '../../queue/inspection.js';
import { acquireOwnerLock } from '../../queue/owner-lock.js';
import type { Queue } from '../../queue/queue.js';
import { QUEUE_DB_FILE } from '../../queue/schema.js';
import { SqliteQueue } from '../../queue/sqlite-queue.js';
import type { QueueOptions, StorageClient, StorageExtension, StorageInspection } from '../storage.js';
import type { FileStorageConfig } from './config.js';

/**
 * `file_storage`: owns one SQLite database in `directory` (the Collector's GetClient, as
 * `openQueue` and `openKv`): the persistent queues of the exporters that name it in
 * `sending_queue.storage`, and the key/value clients of components that keep state here (the
 * Make receiver's cursors). One connection, so one writer and one group commit for all of them;
 * the directory is this extension's alone (owner-lock.ts). Beside it, the export jobs' own file
 * (`openJobStore`, job-store.ts), which other processes share.
 */
export class FileStorageExtension implements StorageExtension {
  readonly kind = 'storage' as const;
  readonly provides = ['storage'] as const;
  readonly directory: string;
  readonly fsync: boolean;
  readonly lockTimeoutMs: number;
  private database: QueueDatabase | undefined;
  private readonly queues = new Map<string, Queue>();

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
    this.database = openOwnedDatabase(this.directory, {
      fsync: this.fsync,
      busyTimeoutMs: this.lockTimeoutMs,
      onWarn: (message) => this.settings.logger.warn(message, { extension: this.settings.id }),
    });
    if (!this.fsync) this.settings.logger.warn('file_storage fsync is off: a power loss may lose acknowledged data', { extension: this.settings.id });
  }

  /** Extensions stop after every component, so the queues are closed (spilled) by now. */
  async shutdown(): Promise<void> {
    if (!this.database) return;
    const database = this.database;
    this.database = undefined;
    for (const queue of this.queues.values()) await queue.close();
    this.queues.clear();
    await database.close();
  }

  openQueue(ownerId: string, options: QueueOptions): Queue {
    const database = this.started();
    if (this.queues.has(ownerId)) throw new GatewayError('COMPONENT_START_FAILED', `extensions.${this.settings.id}: the queue of "${ownerId}" is open already`);
    // Closed by its owner: the owner may open it again.
    const queue = SqliteQueue.create(database, ownerId, options, () => this.queues.delete(ownerId));
    this.queues.set(ownerId, queue);
    return queue;
  }

  openedQueue(ownerId: string): Queue | undefined {
    return this.queues.get(ownerId);
  }

  openKv(ownerId: string): StorageClient {
    return new KvStore(this.started(), ownerId);
  }

  getClient(kind: 'receiver' | 'processor' | 'exporter', componentId: string): StorageClient {
    return this.openKv(`${kind}/${componentId}`);
  }

  openJobStore(): JobStore {
    try {
      return openJobStore(this.directory, { fsync: this.fsync, busyTimeoutMs: this.lockTimeoutMs });
    } catch (err) {
      throw new GatewayError('EXPORT_FAILED', `extensions.${this.settings.id}: cannot open the export jobs in ${this.directory}: ${(err as Error).message}`, { cause: err });
    }
  }

  /**
   * For the `queue` command: the database as it is on disk. With no gateway running, the command
   * owns the directory for a moment, so it may fold what a crashed gateway left in the stage log.
   */
  inspect(): StorageInspection | undefined {
    const path = join(this.directory, QUEUE_DB_FILE);
    if (!existsSync(path)) return undefined;
    const unlock = ownerLockIfFree(this.directory);
    let database: QueueDatabase;
    try {
      database = QueueDatabase.open(this.directory, { fsync: true, create: false, foldStage: unlock !== undefined });
    } catch (err) {
      unlock?.();
      throw err;
    }
    database.releaseLock = unlock;
    return inspectDatabase(database);
  }

  private started(): QueueDatabase {
    if (!this.database) throw new GatewayError('COMPONENT_START_FAILED', `extensions.${this.settings.id}: storage used before the extension started`);
    return this.database;
  }
}

function ownerLockIfFree(directory: string): (() => void) | undefined {
  try {
    return acquireOwnerLock(directory, 'queue-command');
  } catch {
    // A gateway runs on this directory: its newest requests are in its stage log, not counted here.
    return undefined;
  }
}
