import { emptyRequest, sizeOf, type HandedOut, type Sizer } from './queue.js';

interface Held {
  /** What it takes of the queue's capacity, given back when it is settled. */
  units: number;
  attempts: number;
  request: HandedOut;
  /** Taking it stored attempts = 1 (sqlite-queue.ts, `markTaken`), which stands for the first failure. */
  marked: boolean;
}

/**
 * The requests a persistent queue has handed to workers, by id (a row's, or a staged request's
 * negative one), until acked or dead-lettered; then their bytes are let go (queue.ts, emptyRequest)
 * so a settled request holds no memory while the worker's caller still refers to it.
 */
export class HeldRequests {
  private readonly byId = new Map<number, Held>();

  constructor(private readonly sizer: Sizer) {}

  get size(): number {
    return this.byId.size;
  }

  get(id: number): Held | undefined {
    return this.byId.get(id);
  }

  /** The request a worker gets: a view of `payload`, no copy. */
  handOut(id: number, payload: Buffer, items: number, attempts: number, enqueuedAtMs: number, redelivery: boolean, marked: boolean): HandedOut {
    const bytes = new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
    const request: HandedOut = { id, bytes, items, attempts, enqueuedAtMs, redelivery, logs: undefined };
    this.byId.set(id, { units: sizeOf(this.sizer, { items, bytes: payload.byteLength }), attempts, request, marked });
    return request;
  }

  /** Its worker is done with it: forgotten, its bytes dropped; undefined if it was not held. */
  settle(id: number): Held | undefined {
    const entry = this.byId.get(id);
    if (!entry) return undefined;
    this.byId.delete(id);
    emptyRequest(entry.request);
    return entry;
  }
}
