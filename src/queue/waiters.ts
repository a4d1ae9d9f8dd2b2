import { onAbort } from '../abort-hooks.js';

/** Callers parked until a value arrives, served first come, first served. */
export class Waiters<T> {
  private readonly parked: ((value: T) => void)[] = [];

  /** Wait for a value; when `signal` aborts first, resolve with `onAborted` instead. */
  wait(signal?: AbortSignal, onAborted?: T): Promise<T> {
    if (signal?.aborted) return Promise.resolve(onAborted as T);
    return new Promise<T>((resolve) => {
      const abort = () => {
        const i = this.parked.indexOf(settle);
        if (i >= 0) this.parked.splice(i, 1);
        resolve(onAborted as T);
      };
      // The signal is usually an exporter's stop signal, alive as long as the gateway (abort-hooks.ts).
      const unhook = signal ? onAbort(signal, abort) : undefined;
      const settle = (value: T) => {
        unhook?.();
        resolve(value);
      };
      this.parked.push(settle);
    });
  }

  get length(): number {
    return this.parked.length;
  }

  /** Hand `value` to the longest-waiting caller; false when no one waits. */
  resolveOne(value: T): boolean {
    const next = this.parked.shift();
    if (!next) return false;
    next(value);
    return true;
  }

  resolveAll(value: T): void {
    for (const w of this.parked.splice(0)) w(value);
  }
}
