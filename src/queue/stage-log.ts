import { close, closeSync, existsSync, fsync, fsyncSync, mkdirSync, open, openSync, readdirSync, readFileSync, readSync, rmSync, unlink, unlinkSync, write, writeSync, writevSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { encodeHeader, HEADER_BYTES, recordBytes, scanSegment, scanSegmentHead, type ScannedSegment, type StageRecord } from './stage-format.js';
import { syncDirectory, syncDirectoryAsync } from './sync-directory.js';

/**
 * The stage log: where a young request's bytes are made durable, written once, instead of into
 * SQLite. A request committed to SQLite costs a dozen or more page writes into the WAL, and
 * the checkpoint writes every page a second time; at this machine's disk bandwidth (272 MB/s
 * measured) that, not CPU, bounded the persistent path (BENCHMARKS.md, session 5). Here a group of
 * requests is one `writev` into a segment file that was preallocated and is reused, so writing
 * allocates no blocks and the fsync commits no file-system metadata (0.27 ms against 0.45 ms for
 * an append, measured here).
 *
 * - Segments are `<directory>/gateway-queue.stage/<slot>.seg`, SEGMENT_BYTES each. A segment is
 *   reused once every record in it was acknowledged or moved into SQLite (spilled); its next use
 *   gets a higher generation, so the older records left in it are never read as current.
 * - The queue keeps staged requests in memory and moves them to SQLite (sqlite-queue.ts) when they
 *   were not delivered within a few seconds, when the stage holds more than STAGE_SPILL_BYTES, and
 *   at close. At rest after a clean stop the stage is
 *   empty and deleted: the documented SQLite format holds everything.
 * - After a crash, the next open folds every sound record left in the stage into its queue table
 *   (database.ts) before anything else runs. A record that was acknowledged by the backend but
 *   still in the stage is then delivered again: a duplicate, counted like any redelivery.
 */

export const STAGE_DIR = 'gateway-queue.stage';
export const SEGMENT_BYTES = 4 * 1024 * 1024;
/** Slot 0 is the WAL in the fsync thread's table (wal-sync-cells.ts); segments use 1..MAX_SLOTS-1. */
export const MAX_SLOTS = 64;
/** Past this many live bytes the queues spill their oldest staged requests into SQLite. */
export const STAGE_SPILL_BYTES = 32 * 1024 * 1024;
/** Segment files kept when the stage has been idle (see `trim`): 8 MiB. */
export const IDLE_SEGMENTS = 2;
const ZEROS = Buffer.alloc(1024 * 1024);
const BLANK_HEADER = Buffer.alloc(HEADER_BYTES);

interface Segment {
  slot: number;
  fd: number;
  generation: number;
  offset: number;
  /** Records written in this use and not yet released. */
  live: number;
}

/** Where a staged record lives, for `release`. */
export interface StageSlot {
  slot: number;
  bytes: number;
}

export class StageLog {
  private readonly segments = new Map<number, Segment>();
  private active?: Segment;
  private generation = 0;
  private liveBytesTotal = 0;
  /** Segments written since the thread-pool fsync last ran (used only without the fsync thread). */
  private readonly dirty = new Set<number>();
  private created = false;
  private closed = false;
  private lastWriteAt = 0;
  /** A spare segment being created off the event loop (see `prepareSpare`), and its slot. */
  private spare?: { slot: number; done: Promise<void> };

  constructor(
    readonly directory: string,
    /** A segment file at `slot` was created: the fsync thread must (re)open it. */
    private readonly onCreated: (slot: number) => void = () => {},
    /** Nothing is staged any more. */
    private readonly onDrained: () => void = () => {},
  ) {}

  static path(directory: string, slot: number): string {
    return join(directory, STAGE_DIR, `${slot}.seg`);
  }

  get liveBytes(): number {
    return this.liveBytesTotal;
  }

  /** Room for more: a free segment, or a slot for a new one (a few held records can pin many). */
  get hasRoom(): boolean {
    if (this.segments.size < MAX_SLOTS - 2) return true;
    for (const s of this.segments.values()) if (s.live === 0) return true;
    return false;
  }

  /** Largest payload the stage takes; bigger requests go to SQLite directly. */
  static fits(exporterId: string, payloadBytes: number): boolean {
    return recordBytes(exporterId, payloadBytes) <= SEGMENT_BYTES / 4;
  }

  /**
   * Write records (one `writev` per segment touched); returns where each went, and which slots
   * need an fsync. Throws on a write error: none of the records may then be acknowledged.
   */
  append(records: StageRecord[]): { placed: StageSlot[]; slots: number[] } {
    this.lastWriteAt = Date.now();
    const placed: StageSlot[] = [];
    const groups: { segment: Segment; buffers: Buffer[]; at: number; bytes: number }[] = [];
    let written = 0;
    try {
      for (const record of records) {
        const bytes = recordBytes(record.exporterId, record.payload.byteLength);
        let segment = this.active;
        if (!segment || segment.offset + bytes > SEGMENT_BYTES) segment = this.activate();
        const group = groups.at(-1)?.segment === segment ? groups.at(-1)! : (groups.push({ segment, buffers: [], at: segment.offset, bytes: 0 }), groups.at(-1)!);
        group.buffers.push(encodeHeader(segment.generation, record), record.payload);
        group.bytes += bytes;
        segment.offset += bytes;
        segment.live++;
        this.liveBytesTotal += bytes;
        placed.push({ slot: segment.slot, bytes });
      }
      for (const g of groups) {
        const n = writevSync(g.segment.fd, g.buffers, g.at);
        if (n !== g.bytes) throw new Error(`short write to the stage log (${n} of ${g.bytes} bytes)`);
        written++;
      }
    } catch (err) {
      // What was not written must leave no gap: a crash-time scan stops at the first gap, and would
      // miss records written after it. (A segment appears in one group per call.)
      for (const g of groups.slice(written)) g.segment.offset = g.at;
      for (const p of placed) this.release(p);
      throw err;
    }
    const slots = [...new Set(groups.map((g) => g.segment.slot))];
    for (const s of slots) this.dirty.add(s);
    return { placed, slots };
  }

  /** A staged record was acknowledged or now lives in SQLite durably: its space may be reused. */
  release(at: StageSlot): void {
    const segment = this.segments.get(at.slot);
    if (!segment) return;
    segment.live--;
    this.liveBytesTotal -= at.bytes;
    if (segment.live > 0) return;
    // Every record of this use is done: blank its first header so a crash-time scan finds none of
    // them (they would all be delivered again), and start the next use at offset 0.
    try {
      writeSync(segment.fd, BLANK_HEADER, 0, BLANK_HEADER.length, 0);
    } catch {
      // Only costs duplicates after a crash; the segment's next use overwrites the header anyway.
    }
    if (segment === this.active) this.active = undefined;
    if (this.liveBytesTotal === 0) this.onDrained();
  }

  /**
   * Give segment files back to the file system, all but IDLE_SEGMENTS (blank, preallocated: the
   * next burst then starts without creating files, whose first fsync writes all their 4 MiB). Only
   * once nothing is staged and nothing was written for `minIdleMs`, so a busy stage is not deleted
   * and recreated over and over. Returns the slots deleted, or why not (`busy`: something is
   * staged; `wait`: written to recently).
   */
  trim(minIdleMs: number): number[] | 'busy' | 'wait' {
    if (this.liveBytesTotal !== 0) return 'busy';
    if (Date.now() - this.lastWriteAt < minIdleMs) return 'wait';
    const gone = [...this.segments.values()].sort((a, b) => a.slot - b.slot).slice(IDLE_SEGMENTS);
    for (const s of gone) {
      closeSync(s.fd);
      this.segments.delete(s.slot);
      this.dirty.delete(s.slot);
      if (this.active === s) this.active = undefined;
    }
    for (const s of gone) unlinkSync(StageLog.path(this.directory, s.slot));
    return gone.map((s) => s.slot);
  }


  /** Every segment needs an fsync (the fsync thread died with writes unconfirmed). */
  markAllDirty(): void {
    for (const slot of this.segments.keys()) this.dirty.add(slot);
  }

  /** Files of the segments written since the last call (the thread-pool fsync path). */
  takeDirty(): string[] {
    const paths = [...this.dirty].filter((s) => this.segments.has(s)).map((s) => StageLog.path(this.directory, s));
    this.dirty.clear();
    return paths;
  }

  /** fsync every segment now (closing). */
  syncAllNow(): void {
    for (const segment of this.segments.values()) fsyncSync(segment.fd);
  }

  /**
   * Close the files; delete them (and the directory) when nothing staged is left, so a clean
   * stop leaves only the database. Returns whether the stage was empty.
   */
  close(): boolean {
    this.closed = true;
    const empty = this.liveBytesTotal === 0;
    for (const segment of this.segments.values()) closeSync(segment.fd);
    this.segments.clear();
    this.active = undefined;
    if (empty) rmSync(join(this.directory, STAGE_DIR), { recursive: true, force: true });
    return empty;
  }

  /** The next segment to write: a free one (every record released), or a new one. */
  private activate(): Segment {
    let next: Segment | undefined;
    for (const s of this.segments.values()) if (s !== this.active && s.live === 0) next = s;
    if (!next) next = this.create();
    next.generation = ++this.generation;
    next.offset = 0;
    this.active = next;
    this.prepareSpare();
    return next;
  }

  /**
   * When the segment just taken was the last free one, create the next off the event loop, so the
   * write that fills this one finds a segment ready. Creating one on the event loop (4 MiB of
   * zeros) held it for 14-31 ms, and the fsync thread's first sync of the new file (its 4 MiB)
   * held every acknowledgement of that round as long (BENCHMARKS.md, session 6). Here both run on
   * libuv's thread pool, fsync included; the synchronous `create` remains for when this one is not
   * ready yet, or failed.
   */
  private prepareSpare(): void {
    if (this.spare || this.closed) return;
    for (const s of this.segments.values()) if (s !== this.active && s.live === 0) return;
    const slot = this.freeSlot();
    if (slot === undefined) return;
    const done = this.createOffLoop(slot)
      .catch(() => {
        // The synchronous path creates a segment when one is needed, and reports its error.
      })
      .finally(() => (this.spare = undefined));
    this.spare = { slot, done };
  }

  private async createOffLoop(slot: number): Promise<void> {
    this.ensureDirectory();
    const path = StageLog.path(this.directory, slot);
    const fd = await openAsync(path, 'w+');
    try {
      for (let at = 0; at < SEGMENT_BYTES; ) at += await writeAsync(fd, ZEROS, 0, Math.min(ZEROS.length, SEGMENT_BYTES - at), at);
      await fsyncAsync(fd);
      // Its directory entry too (the fsync thread does it again at first use: cheap by then).
      await syncDirectoryAsync(dirname(path));
    } catch (err) {
      await closeAsync(fd).catch(() => undefined);
      await unlinkAsync(path).catch(() => undefined);
      throw err;
    }
    if (this.closed || this.segments.has(slot)) {
      await closeAsync(fd).catch(() => undefined);
      if (this.closed) await unlinkAsync(path).catch(() => undefined);
      return;
    }
    this.segments.set(slot, { slot, fd, generation: 0, offset: 0, live: 0 });
    this.onCreated(slot);
    // Landed after the stage went idle (and perhaps after its trim): let the trim look again.
    if (this.liveBytesTotal === 0) this.onDrained();
  }

  /** Wait for a spare segment being created (tests; closing). */
  async settled(): Promise<void> {
    await this.spare?.done;
  }

  private freeSlot(): number | undefined {
    for (let slot = 1; slot < MAX_SLOTS; slot++) if (!this.segments.has(slot) && this.spare?.slot !== slot) return slot;
    return undefined;
  }

  private ensureDirectory(): void {
    if (this.created) return;
    mkdirSync(join(this.directory, STAGE_DIR), { recursive: true });
    // The stage directory's own entry, once, so segment files in it survive a power cut.
    syncDirectory(this.directory);
    this.created = true;
  }

  private create(): Segment {
    const slot = this.freeSlot();
    if (slot === undefined) throw new Error(`stage log full (${MAX_SLOTS - 1} segments in use)`);
    const path = StageLog.path(this.directory, slot);
    this.ensureDirectory();
    const fd = openSync(path, 'w+');
    try {
      // Preallocate: later writes then overwrite allocated blocks (see the class comment).
      for (let at = 0; at < SEGMENT_BYTES; at += ZEROS.length) writeSync(fd, ZEROS, 0, Math.min(ZEROS.length, SEGMENT_BYTES - at), at);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    const segment: Segment = { slot, fd, generation: 0, offset: 0, live: 0 };
    this.segments.set(slot, segment);
    this.onCreated(slot);
    return segment;
  }
}

const openAsync = promisify(open);
const writeAsync = (fd: number, buffer: Buffer, offset: number, length: number, position: number) =>
  new Promise<number>((resolve, reject) =>
    write(fd, buffer, offset, length, position, (err, n) => (err ? reject(err) : n > 0 ? resolve(n) : reject(new Error('write made no progress')))),
  );
const fsyncAsync = promisify(fsync);
const closeAsync = promisify(close);
const unlinkAsync = promisify(unlink);

/**
 * What a crashed run left in the stage, one segment at a time, oldest use first, so folding it
 * holds one segment (4 MiB) in memory however large the stage was.
 */
export function* leftoverSegments(directory: string): Generator<ScannedSegment> {
  const dir = join(directory, STAGE_DIR);
  if (!existsSync(dir)) return;
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.seg'))
    .map((name) => ({ path: join(dir, name), generation: firstGeneration(join(dir, name)) }))
    .filter((f) => f.generation > 0)
    .sort((a, b) => a.generation - b.generation);
  for (const f of files) yield scanSegment(readFileSync(f.path));
}

/** Every record left in the stage (tests, small stages). */
export function readLeftovers(directory: string): { records: StageRecord[]; corrupt: StageRecord[] } {
  const out = { records: [] as StageRecord[], corrupt: [] as StageRecord[] };
  for (const s of leftoverSegments(directory)) {
    out.records.push(...s.records);
    out.corrupt.push(...s.corrupt);
  }
  return out;
}

/** The generation of a segment's first record, or 0 when it has none (blank, or torn at once). */
function firstGeneration(path: string): number {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(HEADER_BYTES + 256);
    const n = readSync(fd, head, 0, head.length, 0);
    return scanSegmentHead(head.subarray(0, n));
  } finally {
    closeSync(fd);
  }
}

/** After the leftovers are safely in SQLite: remove the stage. */
export function removeStage(directory: string): void {
  rmSync(join(directory, STAGE_DIR), { recursive: true, force: true });
}
