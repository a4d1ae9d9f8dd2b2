/** Callers parked until a value arrives, served first come, first served. */
export class Waiters<T> {
  private readonly parked: ((value: T) => void)[] = [];

  /** Wait for a value; when `signal` aborts first, resolve with `onAbort` instead. */
  wait(signal?: AbortSignal, onAbort?: T): Promise<T> {
    if (signal?.aborted) return Promise.resolve(onAbort as T);
    return new Promise<T>((resolve) => {
      const abort = () => {
        const i = this.parked.indexOf(settle);
        if (i >= 0) this.parked.splice(i, 1);
        resolve(onAbort as T);
      };
      const settle = (value: T) => {
        signal?.removeEventListener('abort', abort);
        resolve(value);
      };
      signal?.addEventListener('abort', abort, { once: true });
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
