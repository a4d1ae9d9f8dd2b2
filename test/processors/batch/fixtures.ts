import type { Logs } from '../../../src/pdata/model.js';
import { countLogRecords, newLogRecord } from '../../../src/pdata/model.js';
import { attr } from '../../../src/pdata/values.js';
import type { LogsConsumer } from '../../../src/pipeline/component.js';

/** A request of `n` records whose bodies are `${tag}-0` … `${tag}-(n-1)`. */
export function makeLogs(n: number, tag = 'r'): Logs {
  return {
    resourceLogs: [
      {
        resource: { attributes: [attr('service.name', tag)], droppedAttributesCount: 0 },
        schemaUrl: '',
        scopeLogs: [
          {
            scope: { name: 'test', version: '1', attributes: [], droppedAttributesCount: 0 },
            schemaUrl: '',
            logRecords: Array.from({ length: n }, (_, i) => newLogRecord({ body: { stringValue: `${tag}-${i}` } })),
          },
        ],
      },
    ],
  };
}

export function bodies(logs: Logs): string[] {
  return logs.resourceLogs.flatMap((rl) => rl.scopeLogs.flatMap((sl) => sl.logRecords.map((r) => r.body?.stringValue ?? '')));
}

/** A downstream whose every consume() waits until the test settles it. */
export class ControlledConsumer implements LogsConsumer {
  readonly calls: { logs: Logs; count: number; resolve(): void; reject(err: unknown): void }[] = [];
  private waiters: (() => void)[] = [];

  consume(logs: Logs): Promise<void> {
    return new Promise((resolve, reject) => {
      this.calls.push({ logs, count: countLogRecords(logs), resolve, reject });
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** Resolves once at least `n` batches arrived. */
  async waitForCalls(n: number): Promise<void> {
    while (this.calls.length < n) await new Promise<void>((r) => this.waiters.push(r));
  }
}

/** Whether a promise has settled yet (after letting pending microtasks run). */
export async function isSettled(p: Promise<unknown>): Promise<boolean> {
  let settled = false;
  p.then(() => (settled = true), () => (settled = true));
  await new Promise((r) => setImmediate(r));
  return settled;
}
