/**
 * What a storage extension (`file_storage`) offers other components, after the Collector's
 * storage API: a durable key/value client per component, and the directory the persistent
 * queue keeps its database in.
 */
export interface StorageClient {
  get(key: string): Promise<string | undefined>;
  /** Resolves once the value is durable (fsync'd when the extension's `fsync` is on). */
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
}

export interface StorageExtension {
  readonly kind: 'storage';
  /** The extension's directory (created at start). */
  readonly directory: string;
  /** Whether commits are fsync'd (default true: unlike the Collector, see README). */
  readonly fsync: boolean;
  /** How long a write waits for a lock held by another connection (`timeout`), in ms. */
  readonly lockTimeoutMs: number;
  /** A key/value client private to one component, e.g. `getClient('receiver', 'make/prod')`. */
  getClient(kind: 'receiver' | 'processor' | 'exporter', componentId: string): StorageClient;
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
