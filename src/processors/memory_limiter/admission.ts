import { DEFAULT_RETRY_AFTER_MS, RetryableError } from '../../errors.js';

/**
 * Admission before a body is parsed. The memory_limiter processor alone runs after a receiver
 * parsed the request, and a 20 MB OTLP/JSON body costs its parsed size before any check can say
 * no: 40 such requests at once took the process past V8's heap limit (an abort, not a refusal).
 * So receivers reserve a request's expected cost here before reading its body, and a reservation
 * that would take memory past a limiter's soft limit is refused with 429 (MEMORY_LIMIT, throttled).
 *
 * Process-wide on purpose: memory is a process resource, and one request must be held against
 * every limiter in the process (several pipelines may each have one). With no memory_limiter
 * configured, everything is admitted.
 */

/**
 * What a byte of OTLP/JSON costs once parsed into the log model, measured with `logsFromJson` on
 * 20 MB requests (heap + external, including the body Buffer and its decoded string): 5.7× for
 * message-heavy records, 7.4× for records with eight small attributes each. 8 covers both.
 */
export const JSON_EXPANSION = 8;
/** Protobuf is walked, not decoded, at the receiver: the body Buffer plus its walk (about 2×). */
export const PROTO_EXPANSION = 2;
/** A compressed body's inflated size is unknown until read: guessed at this ratio, corrected once read. */
export const COMPRESSED_SIZE_GUESS = 4;

/** One limiter's view: how many more bytes it lets in now (its soft limit minus use). */
export interface MemoryGate {
  headroomBytes(): number;
}

export interface Reservation {
  /** Change the reserved amount to `bytes` once the real size is known; false (and nothing changed) when refused. */
  resize(bytes: number): boolean;
  /** Grow to at least `bytes` (never shrink), as a body streams in; false when refused. */
  growTo(bytes: number): boolean;
  /** Give the bytes back; idempotent. */
  release(): void;
}

const NOTHING: Reservation = { resize: () => true, growTo: () => true, release: () => undefined };

export class MemoryAdmission {
  private readonly gates = new Set<MemoryGate>();
  private reservedBytes = 0;

  /** A memory_limiter joins at start; the returned function detaches it at shutdown. */
  attach(gate: MemoryGate): () => void {
    this.gates.add(gate);
    return () => this.gates.delete(gate);
  }

  /** Bytes held by requests in flight. */
  get reserved(): number {
    return this.reservedBytes;
  }

  /** Reserves `bytes`, or undefined when that would exceed a limiter's soft limit. */
  tryReserve(bytes: number): Reservation | undefined {
    if (this.gates.size === 0) return NOTHING;
    if (!this.fits(bytes, 0)) return undefined;
    this.reservedBytes += bytes;
    let held = bytes;
    let released = false;
    const resize = (next: number) => {
      if (released) return true;
      if (next > held && !this.fits(next - held, held)) return false;
      this.reservedBytes += next - held;
      held = next;
      return true;
    };
    return {
      resize,
      growTo: (next) => next <= held || resize(next),
      release: () => {
        if (released) return;
        released = true;
        this.reservedBytes -= held;
      },
    };
  }

  /** Like tryReserve, but refusal is the MEMORY_LIMIT error receivers answer with 429. */
  reserve(bytes: number): Reservation {
    const r = this.tryReserve(bytes);
    if (!r) throw memoryLimitError();
    return r;
  }

  /**
   * Whether `more` bytes fit beside what is reserved. A request alone is let in while there is
   * any headroom at all, so a limit smaller than one request's estimate does not refuse forever.
   */
  private fits(more: number, ownHeld: number): boolean {
    const othersReserved = this.reservedBytes - ownHeld;
    for (const gate of this.gates) {
      const headroom = gate.headroomBytes();
      if (headroom <= 0) return false;
      if (othersReserved > 0 && this.reservedBytes + more > headroom) return false;
    }
    return true;
  }
}

export function memoryLimitError(): RetryableError {
  return new RetryableError('memory usage would exceed the memory_limiter soft limit; retry later', DEFAULT_RETRY_AFTER_MS, 'MEMORY_LIMIT');
}

/** The one admission gate of this process. */
export const memoryAdmission = new MemoryAdmission();

/**
 * What a request is expected to cost before its body is read: its declared (or, unsized, zero)
 * wire size, inflated by the compression guess (bounded by the body limit), times the expansion
 * of its encoding.
 */
export function expectedCost(declaredBytes: number | undefined, compressed: boolean, json: boolean, maxBodyBytes: number): number {
  const wire = declaredBytes !== undefined && Number.isFinite(declaredBytes) ? declaredBytes : 0;
  const body = Math.min(compressed ? wire * COMPRESSED_SIZE_GUESS : wire, maxBodyBytes);
  return body * (json ? JSON_EXPANSION : PROTO_EXPANSION);
}

/** What a body of `bytes` (as read, decompressed) costs once parsed. */
export function parsedCost(bytes: number, json: boolean): number {
  return bytes * (json ? JSON_EXPANSION : PROTO_EXPANSION);
}
