import { GrpcCode } from './codes.js';
import { MESSAGE_PREFIX_BYTES } from './wire.js';

/** Why a request body cannot be served; answered as this gRPC status. */
export interface ReadRefusal {
  code: number;
  message: string;
}

export interface FramedMessage {
  /** The compressed flag was set: `message` is in the call's `grpc-encoding`. */
  compressed: boolean;
  message: Uint8Array;
}

/**
 * Collects a unary call's request body, which must be exactly one length-prefixed message. It
 * refuses as soon as the prefix announces more than `maxMessageBytes` (nothing beyond the prefix
 * is kept, so an oversize body costs no memory) or bytes arrive after the message. Protocol
 * violations are INTERNAL, as grpc-go (the Collector's server) answers them.
 */
export class UnaryMessageReader {
  private chunks: Buffer[] = [];
  private received = 0;
  /** Prefix + message bytes, once the prefix has arrived. */
  private expected = -1;
  private compressed = false;

  constructor(private readonly maxMessageBytes: number) {}

  /** Adds a DATA chunk; returns a refusal once the body can no longer be acceptable. */
  push(chunk: Buffer): ReadRefusal | undefined {
    this.chunks.push(chunk);
    this.received += chunk.length;
    if (this.expected < 0 && this.received >= MESSAGE_PREFIX_BYTES) {
      const head = this.chunks[0].length >= MESSAGE_PREFIX_BYTES ? this.chunks[0] : Buffer.concat(this.chunks);
      const flag = head[0];
      const length = head.readUInt32BE(1);
      if (flag > 1) return this.refuse(GrpcCode.INTERNAL, `invalid compressed flag ${flag} in message prefix`);
      if (length > this.maxMessageBytes) {
        return this.refuse(GrpcCode.RESOURCE_EXHAUSTED, `received message larger than max (${length} vs. ${this.maxMessageBytes})`);
      }
      this.expected = MESSAGE_PREFIX_BYTES + length;
      this.compressed = flag === 1;
    }
    if (this.expected >= 0 && this.received > this.expected) return this.refuse(GrpcCode.INTERNAL, 'received more than one request message for a unary method');
    return undefined;
  }

  /** The message's length and compressed flag once its prefix has arrived (before the message itself). */
  announced(): { length: number; compressed: boolean } | undefined {
    return this.expected < 0 ? undefined : { length: this.expected - MESSAGE_PREFIX_BYTES, compressed: this.compressed };
  }

  /** At the end of the request stream: the message, or why there is none. */
  finish(): FramedMessage | ReadRefusal {
    if (this.received === 0) return this.refuse(GrpcCode.INTERNAL, 'received no request message for a unary method');
    if (this.expected < 0 || this.received < this.expected) return this.refuse(GrpcCode.INTERNAL, 'request message truncated: the stream ended inside it');
    const chunks = this.chunks;
    this.chunks = [];
    const length = this.expected - MESSAGE_PREFIX_BYTES;
    // The usual case (one DATA frame): a view, no copy.
    if (chunks.length === 1) return { compressed: this.compressed, message: chunks[0].subarray(MESSAGE_PREFIX_BYTES, this.expected) };
    const message = Buffer.allocUnsafe(length);
    let skip = MESSAGE_PREFIX_BYTES;
    let at = 0;
    for (const chunk of chunks) {
      const from = Math.min(skip, chunk.length);
      skip -= from;
      at += chunk.copy(message, at, from);
    }
    return { compressed: this.compressed, message };
  }

  private refuse(code: number, message: string): ReadRefusal {
    // Drop what was collected: the call is over, its bytes must not outlive it.
    this.chunks = [];
    return { code, message };
  }
}

export function isReadRefusal(x: FramedMessage | ReadRefusal): x is ReadRefusal {
  return (x as ReadRefusal).code !== undefined;
}
