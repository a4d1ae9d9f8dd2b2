import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { gzipSync } from 'node:zlib';
import { decodeMultiStream, encode, ExtData } from '@msgpack/msgpack';

/**
 * A strict Fluent Bit / Fluentd `forward` output, written from the protocol specification
 * (github.com/fluent/fluentd/wiki/Forward-Protocol-Specification-v1) and from what a Fluent Bit
 * 5.1.1 built from source sends (fluentBitForward), since CI has no Fluent Bit binary. It sends the four modes as Fluent Bit does (EventTime as ext type 0,
 * `chunk` as a base64 id of 16 random bytes, `size` with the entry count, PackedForward entries as
 * `bin`), and holds the server to the spec: the only answer a server may send is `{ack: <chunk>}`
 * for a chunk the client asked for, once; anything else fails the client (`protocolErrors`).
 */

export type Time = number | { seconds: number; nanoseconds: number };
export type Entry = [Time, Record<string, unknown>];

function eventTime(t: Time): number | ExtData {
  if (typeof t === 'number') return t;
  const b = Buffer.alloc(8);
  b.writeUInt32BE(t.seconds, 0);
  b.writeUInt32BE(t.nanoseconds, 4);
  return new ExtData(0, b);
}

export class FluentForwardClient {
  readonly protocolErrors: string[] = [];
  private readonly waiting = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();
  private readonly acked = new Set<string>();
  readonly closed: Promise<void>;

  private constructor(private readonly socket: Socket) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => {});
    void this.readAnswers();
    void this.closed.then(() => {
      for (const w of this.waiting.values()) w.reject(new Error('connection closed before the ack'));
      this.waiting.clear();
    });
  }

  /** Plain TCP, or TLS trusting `tls.ca` (Fluent Bit's `tls on` with `tls.ca_file`). */
  static connect(port: number, host = '127.0.0.1', tls?: { ca: Buffer }): Promise<FluentForwardClient> {
    return new Promise((resolve, reject) => {
      const s: Socket = tls ? connectTls({ port, host, ca: tls.ca }, () => resolve(new FluentForwardClient(s))) : connect(port, host, () => resolve(new FluentForwardClient(s)));
      s.once('error', reject);
    });
  }

  private async readAnswers(): Promise<void> {
    try {
      for await (const answer of decodeMultiStream(this.socket)) {
        const keys = typeof answer === 'object' && answer !== null && !Array.isArray(answer) ? Object.keys(answer) : [];
        const chunk = (answer as { ack?: unknown } | null)?.ack;
        if (keys.length !== 1 || typeof chunk !== 'string') {
          this.fail(`server sent something other than {ack: chunk}: ${JSON.stringify(answer)}`);
          continue;
        }
        const w = this.waiting.get(chunk);
        if (!w) {
          this.fail(this.acked.has(chunk) ? `chunk ${chunk} acked twice` : `ack for a chunk never asked for: ${chunk}`);
          continue;
        }
        this.waiting.delete(chunk);
        this.acked.add(chunk);
        w.resolve();
      }
    } catch (err) {
      this.fail(`server sent bytes that are not msgpack: ${(err as Error).message}`);
    }
  }

  private fail(message: string): void {
    this.protocolErrors.push(message);
    for (const w of this.waiting.values()) w.reject(new Error(message));
    this.waiting.clear();
  }

  /** Writes raw bytes (for malformed-frame tests). */
  writeRaw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Sends one message; with `ack`, resolves once the server acked its chunk (rejects when it closes first). */
  private send(message: unknown[], option: Record<string, unknown>, ack: boolean): Promise<void> {
    if (!ack) {
      this.socket.write(encode(option && Object.keys(option).length ? [...message, option] : message));
      return Promise.resolve();
    }
    const chunk = randomBytes(16).toString('base64');
    const acked = new Promise<void>((resolve, reject) => this.waiting.set(chunk, { resolve, reject }));
    this.socket.write(encode([...message, { ...option, chunk }]));
    return acked;
  }

  message(tag: string, time: Time, record: Record<string, unknown>, ack = true): Promise<void> {
    return this.send([tag, eventTime(time), record], {}, ack);
  }

  forward(tag: string, entries: Entry[], ack = true): Promise<void> {
    return this.send([tag, entries.map(([t, r]) => [eventTime(t), r])], { size: entries.length }, ack);
  }

  /**
   * Forward mode as Fluent Bit 5.1.1's `forward` output sends it (captured from the real binary):
   * each entry's time slot is `[EventTime, metadata]` (Fluent Bit's own event format), and the
   * option carries `fluent_signal: 0` (logs) beside `chunk` and `size`.
   */
  fluentBitForward(tag: string, entries: Entry[], metadata: Record<string, unknown> = {}, ack = true): Promise<void> {
    return this.send([tag, entries.map(([t, r]) => [[eventTime(t), metadata], r])], { size: entries.length, fluent_signal: 0 }, ack);
  }

  packedForward(tag: string, entries: Entry[], ack = true): Promise<void> {
    const packed = Buffer.concat(entries.map(([t, r]) => encode([eventTime(t), r])));
    return this.send([tag, packed], { size: entries.length }, ack);
  }

  compressedPackedForward(tag: string, entries: Entry[], ack = true): Promise<void> {
    const packed = Buffer.concat(entries.map(([t, r]) => encode([eventTime(t), r])));
    return this.send([tag, gzipSync(packed)], { size: entries.length, compressed: 'gzip' }, ack);
  }

  close(): void {
    this.socket.end();
  }
}
