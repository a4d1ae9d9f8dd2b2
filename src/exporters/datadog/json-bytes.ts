/**
 * A growable byte buffer that JSON text is written into (wire-entries.ts). Entries were strings
 * concatenated per field, then measured with Buffer.byteLength and encoded again for the request
 * body: with the string building that was most of the exporter's CPU after the wire walk
 * (BENCHMARKS.md, issue 23). Here strings read from the protobuf are copied as bytes, escaped in
 * the same pass, and an entry's size is where the writer stopped.
 *
 * The text must equal JSON.stringify's: the byte path handles ASCII (with JSON.stringify's escapes:
 * `\"`, `\\`, `\b \f \n \r \t`, other control characters as lowercase `\u00xx`); a string with any
 * other byte goes through toString + JSON.stringify, which also settles invalid UTF-8 (U+FFFD) the
 * way the decoded path does.
 */

/** Start size of a writer; it doubles as needed and is reused (a pool in the sender). */
const INITIAL_BYTES = 64 * 1024;
/** Shorter strings are written by a JS loop; longer ones by Buffer#write (a native call's overhead). */
const SHORT_STRING = 64;
/** Byte runs shorter than this are copied by a JS loop: `set` needs a subarray object per call. */
const SHORT_BYTES = 256;

const QUOTE = 0x22, BACKSLASH = 0x5c;
const HEX = '0123456789abcdef';
const HEX_CODES = Uint8Array.from(HEX, (c) => c.charCodeAt(0));
/** Per ASCII byte: 0 copied as is, else the escape's second character (`u` for `\u00xx`). */
const ESCAPE = new Uint8Array(128);
for (let c = 0; c < 0x20; c++) ESCAPE[c] = 0x75; // u
ESCAPE[0x08] = 0x62; // b
ESCAPE[0x09] = 0x74; // t
ESCAPE[0x0a] = 0x6e; // n
ESCAPE[0x0c] = 0x66; // f
ESCAPE[0x0d] = 0x72; // r
ESCAPE[QUOTE] = QUOTE;
ESCAPE[BACKSLASH] = BACKSLASH;

export class JsonBytes {
  buf: Buffer;
  pos = 0;

  constructor(size = INITIAL_BYTES) {
    this.buf = Buffer.allocUnsafe(size);
  }

  /** Room for `n` more bytes. */
  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  /** Bytes as they are (pre-encoded JSON fragments). */
  bytes(src: Uint8Array, start = 0, end = src.length): void {
    const n = end - start;
    this.ensure(n);
    if (n < SHORT_BYTES) {
      const buf = this.buf;
      let p = this.pos;
      for (let i = start; i < end; i++) buf[p++] = src[i]!;
    } else this.buf.set(src.subarray(start, end), this.pos);
    this.pos += n;
  }

  /** Text that is already JSON (numbers, pre-quoted fragments, JSON.stringify's output). */
  text(s: string): void {
    const n = s.length;
    if (n < SHORT_STRING) {
      this.ensure(n * 3);
      const buf = this.buf;
      let p = this.pos;
      for (let i = 0; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) {
          this.pos += buf.write(s, this.pos, 'utf8');
          return;
        }
        buf[p++] = c;
      }
      this.pos = p;
      return;
    }
    this.ensure(n * 3);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /** A non-negative integer below 2^53 in decimal, left-padded with zeros to `width` digits. */
  digits(n: number, width = 1): void {
    if (n >= 1e9) {
      // Two int32-sized halves: the digit loop below then runs on small integers only.
      const hi = Math.floor(n / 1e9);
      this.smallDigits(hi, width - 9);
      this.smallDigits(n - hi * 1e9, 9);
    } else this.smallDigits(n, width);
  }

  /** digits() for 0 ≤ n < 10^9. */
  private smallDigits(n: number, width: number): void {
    let len = n < 10 ? 1 : n < 100 ? 2 : n < 1e3 ? 3 : n < 1e4 ? 4 : n < 1e5 ? 5 : n < 1e6 ? 6 : n < 1e7 ? 7 : n < 1e8 ? 8 : 9;
    if (len < width) len = width;
    this.ensure(len);
    const buf = this.buf;
    let p = this.pos + len;
    this.pos = p;
    for (let i = 0; i < len; i++) {
      const q = (n / 10) | 0;
      buf[--p] = 0x30 + (n - q * 10);
      n = q;
    }
  }

  /** `src[start, end)` as lowercase hex digits (Buffer#toString('hex')). */
  hex(src: Uint8Array, start: number, end: number): void {
    this.ensure((end - start) * 2);
    const buf = this.buf;
    let p = this.pos;
    for (let i = start; i < end; i++) {
      const b = src[i]!;
      buf[p++] = HEX_CODES[b >> 4]!;
      buf[p++] = HEX_CODES[b & 15]!;
    }
    this.pos = p;
  }

  /**
   * The UTF-8 string in `src[start, end)` as a JSON string literal, equal to
   * JSON.stringify(src.toString('utf8', start, end)).
   */
  utf8String(src: Buffer, start: number, end: number): void {
    // Worst case for ASCII: every byte a \u00xx escape.
    this.ensure((end - start) * 6 + 2);
    const buf = this.buf;
    const mark = this.pos;
    let p = mark;
    buf[p++] = QUOTE;
    for (let i = start; i < end; i++) {
      const c = src[i]!;
      if (c >= 0x80) {
        this.pos = mark;
        this.text(JSON.stringify(src.toString('utf8', start, end)));
        return;
      }
      const e = ESCAPE[c]!;
      if (e === 0) buf[p++] = c;
      else {
        buf[p++] = BACKSLASH;
        buf[p++] = e;
        if (e === 0x75) {
          buf[p++] = 0x30;
          buf[p++] = 0x30;
          buf[p++] = HEX_CODES[c >> 4]!;
          buf[p++] = HEX_CODES[c & 15]!;
        }
      }
    }
    buf[p++] = QUOTE;
    this.pos = p;
  }
}

/** JSON fragments written often, encoded once. */
export function ascii(s: string): Buffer {
  return Buffer.from(s, 'utf8');
}
