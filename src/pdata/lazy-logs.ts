import { WALKED_RECORD_COUNT, type Logs, type ResourceLogs, type WalkedLogs } from './model.js';
import { decodeLogs } from './proto.js';

/**
 * A protobuf request that is decoded only if something reads it (docs/architecture.md §10: skip decode
 * when no processor reads records and every exporter speaks OTLP). Decode was ~20 % of the
 * gateway's CPU on a pass-through pipeline (BENCHMARKS.md); a pipeline that only forwards the
 * bytes never pays it.
 *
 * It is an ordinary `Logs` to everyone: `resourceLogs` is an own, enumerable accessor that decodes
 * on first read (once) and may be assigned, so processors, cloning (structuredClone, spread),
 * equality checks and vendor exporters see the decoded tree. Until then the record count comes
 * from the receiver's wire walk (proto-scan.ts) and the bytes are the request itself, exact by
 * construction. Build it only from bytes that walk accepted: the walk refuses whatever decodeLogs
 * refuses, so the deferred decode cannot fail.
 */
export class LazyLogs implements Logs, WalkedLogs {
  declare resourceLogs: ResourceLogs[];
  #bytes: Uint8Array | undefined;
  #decoded: ResourceLogs[] | undefined;
  readonly #records: number;

  constructor(bytes: Uint8Array, records: number) {
    this.#bytes = bytes;
    this.#records = records;
    Object.defineProperty(this, 'resourceLogs', LazyLogs.#resourceLogs);
  }

  /**
   * One accessor pair shared by every instance. A pair of per-instance closures gave each request
   * its own property layout, which V8 keeps until a full GC, and with it the request's bytes: every
   * request body outlived the young generation, ~70 MB/s at 2600 requests/s, and V8 ran a full
   * mark-compact about once a second (BENCHMARKS.md, session 7).
   */
  static readonly #resourceLogs: PropertyDescriptor = {
    enumerable: true,
    configurable: false,
    get(this: LazyLogs): ResourceLogs[] {
      return this.#decode();
    },
    set(this: LazyLogs, value: ResourceLogs[]) {
      this.#decoded = value;
      this.#bytes = undefined;
    },
  };

  /** True until something read (or replaced) the records. */
  get pristine(): boolean {
    return this.#bytes !== undefined;
  }

  /** The request's bytes while nothing has read the records (so nothing can have changed them). */
  get pristineBytes(): Uint8Array | undefined {
    return this.#bytes;
  }

  /**
   * Swaps the undecoded request for an edited copy of it with the same records (wire-upsert.ts: a
   * processor that changed the bytes without reading the tree). Only while pristine: once read,
   * the tree is what counts.
   */
  replacePristineBytes(bytes: Uint8Array): void {
    if (this.#bytes === undefined) throw new Error('LazyLogs: the request was already decoded');
    this.#bytes = bytes;
  }

  /** Log records in the request, without decoding it (from the tree once decoded: it may have changed). */
  get recordCount(): number | undefined {
    return this.#bytes !== undefined ? this.#records : undefined;
  }

  /** What `countLogRecords` reads (model.ts), without knowing this class. */
  get [WALKED_RECORD_COUNT](): number | undefined {
    return this.recordCount;
  }

  #decode(): ResourceLogs[] {
    const bytes = this.#bytes;
    if (bytes !== undefined) {
      this.#decoded = decodeLogs(bytes).resourceLogs;
      this.#bytes = undefined;
    }
    return this.#decoded!;
  }
}
