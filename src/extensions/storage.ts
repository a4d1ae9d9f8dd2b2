import type { JobStore } from '../queue/job-store.js';
import type { PersistentQueueOptions, Queue } from '../queue/queue.js';

/**
 * What a storage extension (`file_storage`) offers other components, after the Collector's
 * storage API (`GetClient`): the extension owns its database, and hands out a persistent queue
 * (`openQueue`) and a durable key/value client (`openKv`) per owner. Components find it through
 * `extensionAs(host, id, 'storage', ...)` (capabilities.ts), never by opening files themselves.
 */
export interface StorageClient {
  get(key: string): Promise<string | undefined>;
  /** Resolves once the value is durable (fsync'd when the extension's `fsync` is on). */
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
}

/** What the owner of a persistent queue says about it; the extension decides the rest. */
export type QueueOptions = PersistentQueueOptions;

/** What the offline `queue` command reads through the extension (no gateway need run). */
export interface StorageInspection {
  /** The database file. */
  readonly path: string;
  /** Damage found folding a crashed gateway's stage log, as lines to print. */
  readonly warnings: readonly string[];
  stats(ownerId: string): { queuedRequests: number; queuedRecords: number; queuedBytes: number; deadLetterRequests: number; deadLetterRecords: number };
  /** The owner's queue, to list, replay and delete dead letters (its live rows are not handed out). */
  queue(ownerId: string): Queue;
  close(): Promise<void>;
}

export interface StorageExtension {
  readonly kind: 'storage';
  readonly provides: readonly ['storage'];
  /** The extension's directory (created at start). */
  readonly directory: string;
  /** Whether commits are fsync'd (default true: unlike the Collector, see README). */
  readonly fsync: boolean;
  /** How long a write waits for a lock held by another connection (`timeout`), in ms. */
  readonly lockTimeoutMs: number;
  /**
   * The persistent queue of `ownerId` (an exporter id), in the extension's database; closing the
   * queue leaves the database open (the extension closes it at shutdown). One queue per owner.
   */
  openQueue(ownerId: string, options: QueueOptions): Queue;
  /**
   * The queue `ownerId` has open now, if any: the admin API's way to a running exporter's dead
   * letters (listing, replaying and deleting them while its workers run).
   */
  openedQueue(ownerId: string): Queue | undefined;
  /** A key/value client private to `ownerId` (cursors, checkpoints), e.g. `openKv('receiver/make/prod')`. */
  openKv(ownerId: string): StorageClient;
  /** `openKv` under the Collector's naming: `getClient('receiver', 'make/prod')`. */
  getClient(kind: 'receiver' | 'processor' | 'exporter', componentId: string): StorageClient;
  /**
   * The export jobs kept in this storage (`exports.db`, a file of its own that the CLI, the MCP
   * server and a running gateway share); needs no start, so offline tools use it too. The caller
   * closes it.
   */
  openJobStore?(): JobStore;
  /**
   * The `queue` command's way in, without starting the extension: the database opened as it is on
   * disk, or undefined when there is none yet.
   */
  inspect?(): StorageInspection | undefined;
}

export function isStorageExtension(x: unknown): x is StorageExtension {
  return typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'storage';
}

/** A process-memory StorageClient for tests and for components run without `storage`. */
export class MemoryStorageClient implements StorageClient {
  private readonly data = new Map<string, string>();
  async get(key: string) {
    return this.data.get(key);
  }
  async set(key: string, value: string) {
    this.data.set(key, value);
  }
  async delete(key: string) {
    this.data.delete(key);
  }
}
