import type { StorageClient, StorageExtension } from '../../../src/extensions/storage.js';
import { MemoryStorageClient } from '../../../src/extensions/storage.js';
import type { Logs, LogRecord } from '../../../src/pdata/model.js';
import { fromAnyValue } from '../../../src/pdata/values.js';
import type { Host, LogsConsumer } from '../../../src/pipeline/component.js';
import type { LogAttrs, Logger } from '../../../src/telemetry/logger.js';
import { Telemetry } from '../../../src/telemetry/telemetry.js';
import { makeConfigSchema } from '../../../src/receivers/make/config.js';
import { MakeReceiver, type MakeReceiverTestOptions } from '../../../src/receivers/make/receiver.js';

export const TOKEN = 'a3f1c0de-5eed-4b1e-9d2a-make-token-0001';

export interface LogLine {
  level: string;
  msg: string;
  attrs: LogAttrs;
}

/** A Logger that keeps every line, for asserting on what the receiver says (and does not say). */
export function captureLogger(lines: LogLine[] = [], base: LogAttrs = {}): Logger & { lines: LogLine[] } {
  const emit = (level: string) => (msg: string, attrs: LogAttrs = {}) => lines.push({ level, msg, attrs: { ...base, ...attrs } });
  return { lines, debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error'), child: (a) => captureLogger(lines, { ...base, ...a }) };
}

export function linesText(lines: LogLine[]): string {
  return lines.map((l) => `${l.level} ${l.msg} ${JSON.stringify(l.attrs)}`).join('\n');
}

/** A downstream that records what it accepted; `refuseNext` makes the next consume(s) reject. */
export class Sink implements LogsConsumer {
  readonly accepted: Logs[] = [];
  private refusals: unknown[] = [];
  refuseNext(...errors: unknown[]): void {
    this.refusals.push(...errors);
  }
  async consume(logs: Logs): Promise<void> {
    const err = this.refusals.shift();
    if (err) throw err;
    this.accepted.push(structuredClone(logs));
  }
  /** Every accepted record with its resource attributes, as plain values. */
  records(): FlatRecord[] {
    return this.accepted.flatMap(flatten);
  }
}

export interface FlatRecord {
  resource: Record<string, unknown>;
  attributes: Record<string, unknown>;
  record: LogRecord;
}

export function flatten(logs: Logs): FlatRecord[] {
  const out: FlatRecord[] = [];
  for (const rl of logs.resourceLogs) {
    const resource = Object.fromEntries((rl.resource?.attributes ?? []).map((kv) => [kv.key, fromAnyValue(kv.value)]));
    for (const sl of rl.scopeLogs) {
      for (const record of sl.logRecords) {
        out.push({ resource, attributes: Object.fromEntries(record.attributes.map((kv) => [kv.key, fromAnyValue(kv.value)])), record });
      }
    }
  }
  return out;
}

/** A Host whose `file_storage` extension hands out `client` (shared across receiver instances = a restart). */
export function storageHost(client: StorageClient = new MemoryStorageClient(), id = 'file_storage'): Host & { client: StorageClient } {
  const ext: StorageExtension & { start(): Promise<void>; shutdown(): Promise<void> } = {
    kind: 'storage',
    provides: ['storage'],
    directory: '/nonexistent',
    fsync: true,
    lockTimeoutMs: 1000,
    getClient: () => client,
    openKv: () => client,
    openedQueue: () => undefined,
    openQueue: () => {
      throw new Error('no queues in this fake storage');
    },
    start: async () => {},
    shutdown: async () => {},
  };
  return { client, getExtension: (name) => (name === id ? ext : undefined) };
}

export interface Harness {
  receiver: MakeReceiver;
  telemetry: Telemetry;
  logger: ReturnType<typeof captureLogger>;
}

/** A receiver built the way the pipeline builds it: raw config through the schema, then create. */
export async function startReceiver(
  rawConfig: Record<string, unknown>,
  sink: LogsConsumer,
  host: Host,
  opts: MakeReceiverTestOptions & { telemetry?: Telemetry; logger?: ReturnType<typeof captureLogger> } = {},
): Promise<Harness> {
  const telemetry = opts.telemetry ?? new Telemetry({ processMetrics: false });
  const logger = opts.logger ?? captureLogger();
  const config = makeConfigSchema.parse(rawConfig);
  const receiver = new MakeReceiver({ id: 'make', telemetry, logger }, config, sink, opts);
  await receiver.start(host);
  return { receiver, telemetry, logger };
}
