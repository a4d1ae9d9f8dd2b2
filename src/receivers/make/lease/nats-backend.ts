import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { connect } from '@nats-io/transport-node';
import { DEFAULT_NATS_URL, describeNatsError, natsConnectionOptions } from '../../../exporters/nats/connection.js';
import type { StorageClient } from '../../../extensions/storage.js';
import type { LeaseConfig } from './config.js';
import type { LeaseBackend, LeaseRecord } from './elector.js';

/**
 * The lease as one key of a NATS JetStream KV bucket, written with KV's compare-and-set
 * (`create` only when absent or deleted, `update` only at the revision last read), and the
 * cursors as further keys of the same bucket: they live in the JetStream cluster, so a replica
 * that takes over reads where the dead one stopped.
 *
 * Keys: `lease.<key>` and `cursor.<key>.<base64url of the cursor's name>` (KV keys allow only
 * letters, digits and `-/_=.`).
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class NatsLeaseBackend implements LeaseBackend {
  readonly description: string;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly kv: KV,
    private readonly key: string,
    bucket: string,
    url: string,
  ) {
    this.description = `nats ${url} bucket ${bucket} key ${key}`;
  }

  static async open(config: LeaseConfig, key: string, clientName: string): Promise<NatsLeaseBackend> {
    const url = config.url ?? DEFAULT_NATS_URL;
    const options = await natsConnectionOptions({ ...config, url, stream: '', subject: '' }, clientName);
    const nc = await connect(options).catch((err: unknown) => {
      throw new Error(`cannot connect to NATS at ${url}: ${describeNatsError(err)}`);
    });
    try {
      // history 1: only the latest lease and cursor values matter.
      const kv = await new Kvm(nc).create(config.bucket, { history: 1 });
      return new NatsLeaseBackend(nc, kv, key, config.bucket, url);
    } catch (err) {
      await nc.close().catch(() => {});
      throw new Error(`cannot open the NATS KV bucket ${config.bucket} at ${url} (JetStream enabled?): ${describeNatsError(err)}`);
    }
  }

  async read(): Promise<LeaseRecord | undefined> {
    const entry = await this.kv.get(this.leaseKey());
    if (!entry || entry.operation !== 'PUT') return undefined;
    return { holder: parseHolder(entry.value), version: String(entry.revision) };
  }

  async create(holder: string): Promise<LeaseRecord | undefined> {
    try {
      const revision = await this.kv.create(this.leaseKey(), holderPayload(holder));
      return { holder, version: String(revision) };
    } catch (err) {
      if (isConflict(err)) return undefined;
      throw err;
    }
  }

  async update(prev: LeaseRecord, holder: string): Promise<LeaseRecord | undefined> {
    try {
      const revision = await this.kv.update(this.leaseKey(), holderPayload(holder), Number(prev.version));
      return { holder, version: String(revision) };
    } catch (err) {
      if (isConflict(err)) return undefined;
      throw err;
    }
  }

  async release(prev: LeaseRecord): Promise<void> {
    await this.kv.delete(this.leaseKey(), { previousSeq: Number(prev.version) });
  }

  cursorStore(holding: () => boolean): StorageClient {
    const name = (k: string) => `cursor.${this.key}.${Buffer.from(k).toString('base64url')}`;
    return {
      get: async (k) => {
        const entry = await this.kv.get(name(k));
        return entry && entry.operation === 'PUT' ? decoder.decode(entry.value) : undefined;
      },
      set: async (k, v) => {
        // A replica whose term ended must not move the new holder's cursor back.
        if (!holding()) throw new Error('make lease lost: cursor not written');
        await this.kv.put(name(k), encoder.encode(v));
      },
      delete: async (k) => {
        if (!holding()) throw new Error('make lease lost: cursor not deleted');
        await this.kv.delete(name(k));
      },
    };
  }

  async close(): Promise<void> {
    await this.nc.close();
  }

  private leaseKey(): string {
    return `lease.${this.key}`;
  }
}

function holderPayload(holder: string): Uint8Array {
  return encoder.encode(JSON.stringify({ holder }));
}

function parseHolder(value: Uint8Array): string {
  try {
    const v = JSON.parse(decoder.decode(value)) as { holder?: unknown };
    return typeof v.holder === 'string' ? v.holder : '';
  } catch {
    return '';
  }
}

/** JetStream's "wrong last sequence" (10071): someone wrote the key since we read it. */
function isConflict(err: unknown): boolean {
  const e = err as { message?: string; api_error?: { err_code?: number }; code?: string };
  return e?.api_error?.err_code === 10071 || /wrong last sequence|key exists/i.test(e?.message ?? '');
}
