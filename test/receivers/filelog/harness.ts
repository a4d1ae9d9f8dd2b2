import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Host } from '../../../src/pipeline/component.js';
import { filelogReceiverSchema } from '../../../src/receivers/filelog/config.js';
import { FilelogReceiver } from '../../../src/receivers/filelog/receiver.js';
import { Telemetry } from '../../../src/telemetry/telemetry.js';
import { captureLogger, Sink } from '../make/helpers.js';

export { Sink, storageHost, flatten, captureLogger } from '../make/helpers.js';

const dirs: string[] = [];
export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'filelog-'));
  dirs.push(d);
  return d;
}
export function removeTempDirs(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** A receiver built as the pipeline builds it (raw config through the schema), polling fast. */
export async function startFilelog(raw: Record<string, unknown>, sink: Sink, host: Host = { getExtension: () => undefined }) {
  const config = filelogReceiverSchema.parse({ poll_interval: '20ms', force_flush_period: '100ms', ...raw });
  const logger = captureLogger();
  const receiver = new FilelogReceiver({ id: 'filelog', telemetry: new Telemetry({ processMetrics: false }), logger }, config, sink);
  await receiver.start(host);
  return { receiver, logger };
}

export function bodies(sink: Sink): unknown[] {
  return sink.records().map((r) => r.record.body?.stringValue ?? r.record.body);
}

export async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
