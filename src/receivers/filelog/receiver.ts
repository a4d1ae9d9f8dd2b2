import { open, realpath, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { glob } from 'tinyglobby';
import { GatewayError } from '../../errors.js';
import { isStorageExtension, MemoryStorageClient, type StorageClient } from '../../extensions/storage.js';
import type { Logs, ResourceLogs } from '../../pdata/model.js';
import type { Component, CreateSettings, Host, LogsConsumer } from '../../pipeline/component.js';
import type { Logger } from '../../telemetry/logger.js';
import { ReceiverObsreport } from '../helper/obsreport.js';
import type { FilelogReceiverConfig } from './config.js';
import { readBatches, type Batch, type TailState } from './file-reader.js';
import { FORGET_AFTER_POLLS, loadKnownFiles, sameFingerprint, saveKnownFiles, type KnownFile } from './known-files.js';
import { OperatorChain } from './operators/chain.js';
import { entryToLogRecord, toKeyValues, type Entry } from './operators/entry.js';
import { splitOptions, Splitter } from './splitter.js';

/**
 * The `filelog` receiver (docs/log-inputs.md): every `poll_interval` the include globs are matched,
 * each file is recognised by its fingerprint (known-files.ts) and read from its acknowledged
 * offset to its end; entries go through the operators and downstream in batches, and a batch's
 * offset is stored only after the pipeline committed it (docs/architecture.md §1).
 *
 * Rotation: a file renamed away keeps its open handle and is read to its end before the file that
 * replaced it (rename); a file that shrank below its offset starts again at 0 (copytruncate), and
 * a copy whose fingerprint is known continues from the offset (a glob that also matches rotated
 * names, e.g. `app.log*`, so the lines written just before the copy are not missed).
 */
export class FilelogReceiver implements Component {
  private readonly logger: Logger;
  private readonly obs: ReceiverObsreport;
  private readonly splitter: Splitter;
  private readonly chain: OperatorChain;
  private storage: StorageClient = new MemoryStorageClient();
  private known: KnownFile[] = [];
  /** Handles kept between polls, so a file renamed out of the globs can still be read to its end. */
  private readonly handles = new Map<KnownFile, { fh: FileHandle; path: string }>();
  private readonly tails = new Map<KnownFile, TailState>();
  private firstPoll = true;
  private timer?: NodeJS.Timeout;
  private polling?: Promise<void>;
  private stopping = false;
  private stopped?: Promise<void>;
  private signal?: AbortSignal;

  constructor(
    private readonly settings: CreateSettings,
    private readonly config: FilelogReceiverConfig,
    private readonly next: LogsConsumer,
  ) {
    this.logger = settings.logger.child({ component: settings.id });
    this.obs = new ReceiverObsreport(settings.telemetry, settings.id, 'file');
    this.splitter = new Splitter(splitOptions(config));
    this.chain = new OperatorChain(config.operators, this.logger);
  }

  async start(host: Host): Promise<void> {
    this.signal = host.shutdownGrace;
    if (this.config.storage) {
      const ext = host.getExtension(this.config.storage);
      if (!isStorageExtension(ext)) throw new GatewayError('COMPONENT_START_FAILED', `${this.settings.id}: storage "${this.config.storage}" is not a configured storage extension (file_storage)`);
      this.storage = ext.getClient('receiver', this.settings.id);
      this.known = await loadKnownFiles(this.storage);
    } else {
      this.logger.info('filelog receiver has no storage: offsets live in memory, a restart reads by start_at again');
    }
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.stopping) return;
    this.timer = setTimeout(() => {
      this.polling = this.poll()
        .catch((err: unknown) => this.logger.error('filelog: poll failed', { error: (err as Error).message }))
        .finally(() => this.schedule(this.config.poll_interval));
    }, delayMs);
  }

  /** One poll: match, identify, drain files that went away, read the rest. */
  async poll(): Promise<void> {
    const c = this.config;
    const paths = (await glob(c.include, { ignore: c.exclude, absolute: true, onlyFiles: true, expandDirectories: false })).sort().slice(0, c.max_concurrent_files);
    const matched = new Map<KnownFile, { fh: FileHandle; path: string }>();
    for (const path of paths) {
      const fh = await open(path, 'r').catch((err: NodeJS.ErrnoException) => {
        this.logger.warn('filelog: cannot open file', { path, error: err.code ?? err.message });
        return undefined;
      });
      if (!fh) continue;
      const fp = Buffer.alloc(c.fingerprint_size);
      const { bytesRead } = await fh.read(fp, 0, c.fingerprint_size, 0);
      const known = bytesRead > 0 ? this.known.find((k) => sameFingerprint(k.fingerprint, fp.subarray(0, bytesRead))) : undefined;
      // Empty files cannot be told apart yet; a second path with a known file's content is a copy read already.
      if (bytesRead === 0 || (known && matched.has(known))) {
        await fh.close();
        continue;
      }
      const size = (await fh.stat()).size;
      let k = known;
      if (!k) {
        k = { fingerprint: Buffer.from(fp.subarray(0, bytesRead)), offset: this.firstPoll && c.start_at === 'end' ? size : 0, unseenPolls: 0 };
        this.known.push(k);
      } else if (bytesRead > k.fingerprint.length) k.fingerprint = Buffer.from(fp.subarray(0, bytesRead));
      if (size < k.offset) {
        this.logger.info('filelog: file is shorter than its offset (truncated, e.g. copytruncate); reading it from the start', { path });
        k.offset = 0;
        k.fingerprint = Buffer.from(fp.subarray(0, bytesRead));
      }
      k.unseenPolls = 0;
      matched.set(k, { fh, path });
    }
    this.firstPoll = false;
    // Files renamed or deleted since the last poll: read what was written before they went.
    for (const [k, h] of this.handles) {
      if (matched.has(k)) continue;
      await this.readFile(k, h.fh, h.path, true);
      await h.fh.close();
      this.handles.delete(k);
    }
    for (const [k, h] of matched) {
      const old = this.handles.get(k);
      if (old && old.fh !== h.fh) await old.fh.close();
      this.handles.set(k, h);
      await this.readFile(k, h.fh, h.path, false);
    }
    for (const k of this.known) if (!matched.has(k)) k.unseenPolls++;
    this.known = this.known.filter((k) => k.unseenPolls <= FORGET_AFTER_POLLS);
  }

  private async readFile(k: KnownFile, fh: FileHandle, path: string, gone: boolean): Promise<void> {
    const attrs = await this.fileAttributes(path);
    const tail = { get: () => this.tails.get(k), set: (s: TailState | undefined) => void (s ? this.tails.set(k, s) : this.tails.delete(k)) };
    const options = { tail, forceFlushMs: this.config.force_flush_period, final: gone, shouldStop: () => this.stopping };
    await readBatches(fh, k.offset, this.splitter, options, (b) => this.deliver(k, b, attrs));
  }

  private async fileAttributes(path: string): Promise<Record<string, unknown>> {
    const c = this.config;
    const attrs: Record<string, unknown> = { ...c.attributes };
    if (c.include_file_name) attrs['log.file.name'] = basename(path);
    if (c.include_file_path) attrs['log.file.path'] = path;
    if (c.include_file_name_resolved || c.include_file_path_resolved) {
      const resolved = await realpath(path).catch(() => path);
      if (c.include_file_name_resolved) attrs['log.file.name_resolved'] = basename(resolved);
      if (c.include_file_path_resolved) attrs['log.file.path_resolved'] = resolved;
    }
    return attrs;
  }

  /** Hands one batch downstream; the offset moves (and is stored) only once it is committed. */
  private async deliver(k: KnownFile, batch: Batch, attrs: Record<string, unknown>): Promise<boolean> {
    const logs = this.toLogs(batch, attrs);
    const records = logs.resourceLogs.reduce((n, rl) => n + rl.scopeLogs[0]!.logRecords.length, 0);
    if (records > 0) {
      try {
        await this.obs.track(records, () => this.next.consume(logs, this.signal));
      } catch (err) {
        this.logger.warn('filelog: the pipeline refused a batch; it is read again at the next poll', { error: (err as Error).message, records });
        return false;
      }
    }
    k.offset = batch.endOffset;
    await saveKnownFiles(this.storage, this.known);
    return true;
  }

  private toLogs(batch: Batch, attrs: Record<string, unknown>): Logs {
    const observed = BigInt(Date.now()) * 1_000_000n;
    const byResource = new Map<string, ResourceLogs>();
    for (const s of batch.entries) {
      const e = this.chain.run({ body: s.value, attributes: { ...attrs }, resource: { ...this.config.resource }, timeUnixNano: 0n, observedTimeUnixNano: observed, severityNumber: 0, severityText: '' } satisfies Entry);
      if (!e) continue;
      const key = JSON.stringify(e.resource);
      let rl = byResource.get(key);
      if (!rl) {
        rl = { resource: { attributes: toKeyValues(e.resource), droppedAttributesCount: 0 }, scopeLogs: [{ schemaUrl: '', logRecords: [] }], schemaUrl: '' };
        byResource.set(key, rl);
      }
      rl.scopeLogs[0]!.logRecords.push(entryToLogRecord(e));
    }
    return { resourceLogs: [...byResource.values()] };
  }

  shutdown(): Promise<void> {
    this.stopped ??= (async () => {
      this.stopping = true;
      clearTimeout(this.timer);
      await this.polling;
      for (const h of this.handles.values()) await h.fh.close().catch(() => {});
      this.handles.clear();
    })();
    return this.stopped;
  }
}
