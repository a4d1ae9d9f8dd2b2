import { TextDecoder } from 'node:util';
import type { FilelogReceiverConfig } from './config.js';

/**
 * Cuts a file's bytes into entries (stanza's split funcs): one entry per line, or with `multiline`
 * one entry per group of lines that starts with `line_start_pattern` / ends with
 * `line_end_pattern`. It works on the unconsumed bytes of a file and says how many bytes the
 * complete entries took, so the reader's offset (and checkpoint) is always an entry boundary.
 * An entry is never longer than `max_log_size`: longer ones are cut into pieces of that size
 * (nothing is dropped), which also bounds what a reader holds while waiting for a line's end.
 */

export interface SplitEntry {
  /** The decoded text (or the bytes with encoding `nop`). */
  value: string | Uint8Array;
  /**
   * Bytes from the start of the input up to the end of what this entry used (its newline included):
   * where a reader may cut a batch and store the offset. Pieces of one over-long entry share it.
   */
  end: number;
}

export interface SplitResult {
  entries: SplitEntry[];
  /** Bytes from the start of the input that the entries used up. */
  consumed: number;
}

type Encoding = FilelogReceiverConfig['encoding'];

interface SplitOptions {
  encoding: Encoding;
  maxLogSize: number;
  lineStart?: RegExp;
  lineEnd?: RegExp;
  trimLeading: boolean;
  trimTrailing: boolean;
}

export function splitOptions(c: FilelogReceiverConfig): SplitOptions {
  return {
    encoding: c.encoding,
    maxLogSize: c.max_log_size,
    lineStart: c.multiline?.line_start_pattern ? new RegExp(c.multiline.line_start_pattern) : undefined,
    lineEnd: c.multiline?.line_end_pattern ? new RegExp(c.multiline.line_end_pattern) : undefined,
    trimLeading: !c.preserve_leading_whitespaces,
    trimTrailing: !c.preserve_trailing_whitespaces,
  };
}

export class Splitter {
  private readonly unit: number;
  private readonly decoder?: TextDecoder;

  constructor(private readonly o: SplitOptions) {
    this.unit = o.encoding === 'utf-16le' || o.encoding === 'utf-16be' ? 2 : 1;
    if (this.unit === 2) this.decoder = new TextDecoder(o.encoding);
  }

  /** Index of the next newline at or after `from`, or -1 (2-byte encodings look at even offsets only). */
  private newline(buf: Buffer, from: number): number {
    if (this.unit === 1) return buf.indexOf(10, from);
    const pattern = this.o.encoding === 'utf-16le' ? Buffer.from([10, 0]) : Buffer.from([0, 10]);
    for (let i = buf.indexOf(pattern, from); i !== -1; i = buf.indexOf(pattern, i + 1)) if (i % 2 === 0) return i;
    return -1;
  }

  private decode(buf: Buffer, start: number, end: number): string | Uint8Array {
    if (this.o.encoding === 'nop') return Uint8Array.prototype.slice.call(buf, start, end);
    let text = this.decoder ? this.decoder.decode(buf.subarray(start, end)) : buf.toString(this.o.encoding === 'ascii' || this.o.encoding === 'us-ascii' ? 'latin1' : 'utf8', start, end);
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (this.o.trimLeading) text = text.trimStart();
    if (this.o.trimTrailing) text = text.trimEnd();
    return text;
  }

  private push(out: SplitEntry[], buf: Buffer, start: number, end: number): void {
    const value = this.decode(buf, start, end);
    if (value.length > 0) out.push({ value, end: -1 });
  }

  private text(buf: Buffer, start: number, end: number): string {
    return this.decoder ? this.decoder.decode(buf.subarray(start, end)) : buf.toString('utf8', start, end);
  }

  /**
   * The complete entries at the start of `buf`. `flush`: the bytes after the last complete entry
   * are final too (the writer has not added to them for `force_flush_period`).
   */
  split(buf: Buffer, flush: boolean): SplitResult {
    const entries: SplitEntry[] = [];
    const max = this.o.maxLogSize - (this.o.maxLogSize % this.unit) || this.unit;
    const nlSize = this.unit;
    let consumed = 0;
    /** Start of the multiline entry being gathered (-1: none). */
    let open = -1;
    let pos = 0;
    let stamped = 0;
    const stamp = () => {
      for (; stamped < entries.length; stamped++) entries[stamped]!.end = consumed;
    };
    for (;;) {
      const nl = this.newline(buf, pos);
      if (nl === -1) break;
      const lineEnd = nl + nlSize;
      if (!this.o.lineStart && !this.o.lineEnd) {
        this.cut(entries, buf, pos, nl);
        consumed = lineEnd;
      } else if (this.o.lineStart) {
        if (this.o.lineStart.test(this.text(buf, pos, nl)) && open !== -1 && open < pos) {
          this.cut(entries, buf, open, pos - nlSize);
          consumed = pos;
          open = pos;
        } else if (open === -1) open = pos;
      } else {
        if (open === -1) open = pos;
        if (this.o.lineEnd!.test(this.text(buf, pos, nl))) {
          this.cut(entries, buf, open, nl);
          consumed = lineEnd;
          open = -1;
        }
      }
      stamp();
      pos = lineEnd;
      // A multiline entry past max_log_size is cut, so a file without a match cannot fill memory.
      if (open !== -1 && pos - open > max) {
        this.cut(entries, buf, open, pos - nlSize);
        consumed = pos;
        open = -1;
        stamp();
      }
    }
    const rest = buf.length - consumed;
    if (flush && rest > 0) {
      const endsWithNewline = buf.length >= consumed + nlSize && this.newline(buf, buf.length - nlSize) === buf.length - nlSize;
      this.cut(entries, buf, consumed, endsWithNewline ? buf.length - nlSize : buf.length);
      consumed = buf.length;
    } else if (rest > max && (open === -1 || buf.length - open > max)) {
      // One line longer than max_log_size with no end in sight: send its first piece now.
      this.push(entries, buf, consumed, consumed + max);
      consumed += max;
    }
    stamp();
    return { entries, consumed };
  }

  /** An entry's bytes as one or more entries of at most max_log_size. */
  private cut(out: SplitEntry[], buf: Buffer, start: number, end: number): void {
    const max = this.o.maxLogSize - (this.o.maxLogSize % this.unit) || this.unit;
    for (let s = start; s < end; s += max) this.push(out, buf, s, Math.min(end, s + max));
  }
}
