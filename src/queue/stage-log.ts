import { close, closeSync, existsSync, fsync, fsyncSync, mkdirSync, open, openSync, readdirSync, readFileSync, rmSync, unlink, unlinkSync, write, writeSync, writevSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { encodeHeader, encodeRecord, recordBytes, scanSegment, scanSegmentHead, STATE_RELEASED, STATE_SPILLED, STATE_TAKEN, type LostRange, type ScannedSegment, type StageRecord } from './stage-format.js';
import { IMAGE_MAX_BYTES, StageMarks, type MarkedSlot } from './stage-marks.js';
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
 * - Every record carries a state word (stage-format.ts) rewritten in place by one 4-byte write:
 *   TAKEN when a worker takes it, SPILLED (with its row id) just before its copy into the table
 *   commits, RELEASED once acknowledged or durably in the table. After a crash, the next open folds
 *   only the records not RELEASED into their queue table (database.ts), before anything else runs;
 *   so what comes back twice is what was in flight, not every request that shared a segment with
 *   one (the format-1 stage redelivered whole segments: a crash during an outage doubled the
 *   backlog). The state writes are not fsync'd: a power cut may undo one, which redelivers a
 *   request (a duplicate), never loses one. They are written in batches at the end of an
 *   event-loop turn (stage-marks.ts), so a kill -9 may undo the last turn's: duplicates of what
 *   was in flight then, never a loss.
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

interface Segment {
  slot: number;
  fd: number;
  generation: number;
  offset: number;
  /** Records written in this use and not yet released. */
  live: number;
}

/** Where a staged record lives, for `release` and `mark` (a small one's bytes too: stage-marks.ts). */
export type StageSlot = MarkedSlot;

/** Open stage logs, so a reader of their files (`leftoverSegments`) sees their latest state words. */
const openLogs = new Set<StageLog>();

export class StageLog {
  private readonly segments = new Map<number, Segment>();
  private active?: Segment;
  private generation = 0;
  /** The next record's sequence number (stage-format.ts). */
  private sequence = 0;
  private liveBytesTotal = 0;
  /** Segments written since the thread-pool fsync last ran (used only without the fsync thread). */
  private readonly dirty = new Set<number>();
  private created = false;
  private closed = false;
  private lastWriteAt = 0;
  /** A spare segment being created off the event loop (see `prepareSpare`), and its slot. */
  private spare?: { slot: number; done: Promise<void> };
  private readonly marks = new StageMarks((slot) => this.segments.get(slot)?.fd);

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

  /**
   * Largest payload the stage takes: a whole segment; bigger requests go to SQLite directly. It was
   * a quarter segment (1 MiB), which sent 10,000-record requests (3 MB) through SQLite, writing
   * them twice (WAL and checkpoint): 1.6× the CPU per record of 1,000-record requests (issue 23,
   * BENCHMARKS.md). A record that does not fit the active segment's rest opens the next segment;
   * the rest stays unused until the segment is reused.
   */
  static fits(exporterId: string, payloadBytes: number): boolean {
    return recordBytes(exporterId, payloadBytes) <= SEGMENT_BYTES;
  }

  /**
   * Write records (one `writev` per segment touched); returns where each went, and which slots
   * need an fsync. Throws on a write error: none of the records may then be acknowledged.
   */
  append(records: StageRecord[]): { placed: StageSlot[]; slots: number[] } {
    this.lastWriteAt = Date.now();
    // Pending state words first: a segment whose last records were just released may be reused below.
    this.marks.flush();
    openLogs.add(this);
    const placed: StageSlot[] = [];
    const groups: { segment: Segment; buffers: Buffer[]; at: number; sequence: number; bytes: number }[] = [];
    let written = 0;
    try {
      for (const record of records) {
        const bytes = recordBytes(record.exporterId, record.payload.byteLength);
        let segment = this.active;
        if (!segment || segment.offset + bytes > SEGMENT_BYTES) segment = this.activate();
        const group = groups.at(-1)?.segment === segment ? groups.at(-1)! : (groups.push({ segment, buffers: [], at: segment.offset, sequence: this.sequence, bytes: 0 }), groups.at(-1)!);
        if (bytes <= IMAGE_MAX_BYTES) {
          const image = encodeRecord(segment.generation, this.sequence++, record);
          group.buffers.push(image);
          placed.push({ slot: segment.slot, offset: segment.offset, bytes, image });
        } else {
          group.buffers.push(encodeHeader(segment.generation, this.sequence++, record), record.payload);
          placed.push({ slot: segment.slot, offset: segment.offset, bytes });
        }
        group.bytes += bytes;
        segment.offset += bytes;
        segment.live++;
        this.liveBytesTotal += bytes;
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
      // Nor a gap in the sequence: the next records take the numbers these did not use.
      if (groups[written]) this.sequence = groups[written].sequence;
      for (const p of placed) this.release(p, false);
      throw err;
    }
    const slots = [...new Set(groups.map((g) => g.segment.slot))];
    for (const s of slots) this.dirty.add(s);
    return { placed, slots };
  }

  /**
   * A staged record was acknowledged or now lives in SQLite durably: marked RELEASED, so a
   * crash-time scan skips it, and its space may be reused once its whole segment is released.
   * `mark` false: the record was never acknowledged to anyone (its write failed), only counted.
   */
  release(at: StageSlot, mark = true): void {
    const segment = this.segments.get(at.slot);
    if (!segment) return;
    if (mark) this.mark(at, STATE_RELEASED);
    segment.live--;
    this.liveBytesTotal -= at.bytes;
    if (segment.live > 0) return;
    if (segment === this.active) this.active = undefined;
    if (this.liveBytesTotal === 0) this.onDrained();
  }

  /** Handed to a worker: after a crash its redelivery is counted as one (it may have been sent). */
  markTaken(at: StageSlot): void {
    this.mark(at, STATE_TAKEN);
  }

  /**
   * About to be copied into row `rowId` of the table, inside the transaction that inserts it: if
   * the process dies after that commit but before `release`, the next start finds the row and does
   * not fold the record a second time.
   */
  markSpilled(at: StageSlot, rowId: number): void {
    this.mark(at, STATE_SPILLED, rowId);
  }

  /** SPILLED at once (before the row's commit); the others at the end of the turn (stage-marks.ts). */
  private mark(at: StageSlot, state: number, rowId = 0): void {
    if (!this.segments.has(at.slot)) return;
    this.marks.mark(at, state, rowId, state === STATE_SPILLED);
  }

  /** Write the state words still pending (stage-marks.ts). */
  flushMarks(): void {
    this.marks.flush();
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
    this.marks.flush();
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
    this.marks.flush();
    for (const segment of this.segments.values()) fsyncSync(segment.fd);
  }

  /**
   * Close the files; delete them (and the directory) when nothing staged is left, so a clean
   * stop leaves only the database. Returns whether the stage was empty.
   */
  close(): boolean {
    this.closed = true;
    this.marks.flush();
    openLogs.delete(this);
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

/** A segment file that should be there and is not, or holds not one sound record. */
export interface AbsentSegment {
  path: string;
  unreadable: boolean;
}

/** One segment file of a crashed run's stage, scanned. */
export interface LeftoverSegment extends ScannedSegment {
  path: string;
}

/**
 * What a crashed run left in the stage, one segment at a time, oldest use first, so folding it
 * holds one segment (4 MiB) in memory however large the stage was. `missing` gets the segment
 * files that should be there and are not: slots are taken lowest first and trimmed highest first
 * (StageLog.freeSlot, trim), so while the stage directory exists its files are 1.seg..N.seg
 * without a hole; a hole is a file deleted from under the gateway, with whatever it held.
 */
export function* leftoverSegments(directory: string, missing: (files: AbsentSegment[], upToRecords: number) => void = () => {}): Generator<LeftoverSegment> {
  const dir = join(directory, STAGE_DIR);
  for (const log of openLogs) if (log.directory === directory) log.flushMarks();
  if (!existsSync(dir)) return;
  const slots = readdirSync(dir)
    .map((name) => /^(\d+)\.seg$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]));
  const present = new Set(slots);
  const absent: AbsentSegment[] = [];
  for (let slot = 1; slot <= Math.max(1, ...slots); slot++) if (!present.has(slot)) absent.push({ path: StageLog.path(directory, slot), unreadable: false });
  const files: { path: string; generation: number }[] = [];
  for (const slot of slots) {
    const path = StageLog.path(directory, slot);
    const bytes = readFileSync(path);
    const generation = scanSegmentHead(bytes);
    if (generation > 0) files.push({ path, generation });
    // Not one sound header, and not blank: a file overwritten with garbage, whatever it held lost.
    else if (bytes.some((b) => b !== 0)) absent.push({ path, unreadable: true });
  }
  files.sort((a, b) => a.generation - b.generation);
  // One segment ahead, so a cut-off segment's loss is counted from where the next use starts.
  let previous: LeftoverSegment | undefined;
  // Records of the uses no file holds any more: released ones of a reused segment, or a deleted file's.
  let skipped = 0;
  for (const f of files) {
    const scanned: LeftoverSegment = { path: f.path, ...scanSegment(readFileSync(f.path), SEGMENT_BYTES) };
    // A run's sequence starts at 0 with generation 1: what came before the oldest use found.
    if (!previous && scanned.generation > 1 && scanned.firstSequence > 0) skipped += scanned.firstSequence;
    if (previous) {
      settle(previous, scanned);
      if (scanned.generation > previous.generation + 1 && scanned.firstSequence > previous.lastSequence) skipped += scanned.firstSequence - previous.lastSequence - 1;
      yield previous;
    }
    previous = scanned;
  }
  if (previous) yield previous;
  if (absent.length > 0) missing(absent, Math.max(1, skipped));
}

/**
 * Two consecutive uses (generations g and g + 1): the second began where the first ended, so the
 * sequence numbers between the first's last sound record and the second's first are exactly the
 * records a cut-off tail of the first, or a damaged head of the second, took.
 */
function settle(segment: LeftoverSegment, next: LeftoverSegment): void {
  if (next.generation !== segment.generation + 1 || segment.lastSequence < 0 || next.firstSequence <= segment.lastSequence) return;
  const between = next.firstSequence - segment.lastSequence - 1;
  const tail = segment.truncated ? segment.lost.at(-1) : undefined;
  const head = next.lost[0]?.offset === 0 ? next.lost[0] : undefined;
  if (tail && !head) tail.records = Math.max(1, between);
  else if (head && !tail) head.records = Math.max(1, between);
}

/** Every live record left in the stage, and what could not be verified (tests, small stages). */
export function readLeftovers(directory: string): { records: StageRecord[]; corrupt: StageRecord[]; lost: (LostRange & { path: string })[]; missing: string[] } {
  const missing: string[] = [];
  const out = { records: [] as StageRecord[], corrupt: [] as StageRecord[], lost: [] as (LostRange & { path: string })[], missing };
  for (const s of leftoverSegments(directory, (files) => missing.push(...files.map((f) => f.path)))) {
    out.records.push(...s.records);
    out.corrupt.push(...s.corrupt);
    out.lost.push(...s.lost.map((l) => ({ ...l, path: s.path })));
  }
  return out;
}

/** After the leftovers are safely in SQLite: remove the stage. */
export function removeStage(directory: string): void {
  rmSync(join(directory, STAGE_DIR), { recursive: true, force: true });
}
