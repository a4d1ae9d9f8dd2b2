import { writeSync, writevSync } from 'node:fs';
import { STATE_OFFSET } from './stage-format.js';

/** Where a staged record lives (stage-log.ts), and, for a small one, its bytes as written. */
export interface MarkedSlot {
  slot: number;
  offset: number;
  bytes: number;
  /**
   * The record exactly as written (header, exporter id, payload), kept for records up to
   * IMAGE_MAX_BYTES: its state word is kept current here, so a run of neighbouring records' words
   * goes to the file in one write of these bytes.
   */
  image?: Buffer;
}

/** Records up to this size keep their image (about the staged bytes again, only for small ones). */
export const IMAGE_MAX_BYTES = 16 * 1024;
/** The state word and the row id after it. */
const WORD_BYTES = 8;

/**
 * State words (stage-format.ts) written in batches: one write per run of neighbouring records
 * instead of one per record. With small requests a worker takes, and the backend acknowledges,
 * many neighbouring records in one event-loop turn; a 4-byte pwrite per record and state change
 * was 7.5 % of the gateway's CPU with 1-record requests (BENCHMARKS.md, issue 23).
 *
 * A mark updates the record's image at once and its write waits for the end of the turn
 * (`setImmediate`), or for `flush`, which the stage log calls before anything that could reuse a
 * segment (an append, a trim, closing) and before a reader looks at the files. A run is written
 * from the first record's state word to the last one's, with the records in between as they were
 * written (their current state words included): the page the kernel writes back is the same as
 * with one 4-byte write per record. Records without an image (large ones) get their word written
 * on its own, at once, as before.
 *
 * Delaying a word to the end of the turn changes nothing a crash can lose: state words are not
 * fsync'd, and one not written only costs a duplicate after a crash (a released record comes back
 * as taken: it is counted as a redelivery), never a loss. SPILLED marks are written at once
 * (`now`), before the table row they point at commits.
 */
export class StageMarks {
  private pending: MarkedSlot[] = [];
  private scheduled = false;

  constructor(
    /** The file descriptor of the segment at `slot`, if it is still open. */
    private readonly fdOf: (slot: number) => number | undefined,
  ) {}

  /** Set `at`'s state word (and row id); written at the end of the turn, or at once with `now`. */
  mark(at: MarkedSlot, state: number, rowId = 0, now = false): void {
    if (!at.image) return this.writeWord(at, state, rowId);
    at.image.writeUInt32LE(state, STATE_OFFSET);
    if (rowId) at.image.writeUInt32LE(rowId >>> 0, STATE_OFFSET + 4);
    this.pending.push(at);
    if (now) return this.flush();
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  /** Write every pending word now: one write per run of neighbouring records in a segment. */
  flush(): void {
    if (this.pending.length === 0) return;
    const marks = this.pending;
    this.pending = [];
    marks.sort((a, b) => a.slot - b.slot || a.offset - b.offset);
    let start = 0;
    for (let i = 1; i <= marks.length; i++) {
      const prev = marks[i - 1]!;
      const next = marks[i];
      // The same record twice (taken, then released in one turn): its image holds the latest word.
      if (next && next.slot === prev.slot && next.offset === prev.offset) {
        marks.splice(i--, 1);
        continue;
      }
      if (next && next.slot === prev.slot && next.offset === prev.offset + prev.bytes) continue;
      this.writeRun(marks, start, i);
      start = i;
    }
  }

  /** Records `from`..`to` (exclusive) lie back to back: from the first's word to the last's. */
  private writeRun(marks: MarkedSlot[], from: number, to: number): void {
    const first = marks[from]!;
    const fd = this.fdOf(first.slot);
    if (fd === undefined) return;
    const last = to - 1;
    const parts: Buffer[] = [];
    for (let i = from; i <= last; i++) {
      const image = marks[i]!.image!;
      const begin = i === from ? STATE_OFFSET : 0;
      const end = i === last ? STATE_OFFSET + WORD_BYTES : image.length;
      parts.push(image.subarray(begin, end));
    }
    try {
      writevSync(fd, parts, first.offset + STATE_OFFSET);
    } catch {
      // A state word not written only costs a duplicate after a crash: the record stays live.
    }
  }

  private writeWord(at: MarkedSlot, state: number, rowId: number): void {
    const fd = this.fdOf(at.slot);
    if (fd === undefined) return;
    const word = Buffer.allocUnsafe(rowId ? 8 : 4);
    word.writeUInt32LE(state, 0);
    if (rowId) word.writeUInt32LE(rowId >>> 0, 4);
    try {
      writeSync(fd, word, 0, word.length, at.offset + STATE_OFFSET);
    } catch {
      // As above: only a duplicate after a crash.
    }
  }
}
