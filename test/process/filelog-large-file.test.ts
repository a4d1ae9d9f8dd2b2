import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway, writeConfig } from '../helpers/gateway-process.js';
import { freePort } from '../helpers/ports.js';

/**
 * A 1 GB log file through the built gateway with flat memory (docs/log-inputs.md): the file is
 * read in chunks and sent in bounded batches, so the process's peak RSS stays far below the file's
 * size. The bound is generous for a shared, noisy machine; the line count is exact.
 */

const LINE_BYTES = 1000;
const LINES = 1_000_000; // 1 GB
const RSS_BOUND_BYTES = 400 * 1024 * 1024;

const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

function writeBigFile(path: string): void {
  const fd = openSync(path, 'w');
  const perWrite = 1000;
  for (let i = 0; i < LINES; i += perWrite) {
    let chunk = '';
    for (let j = i; j < i + perWrite; j++) {
      const head = `line-${j} `;
      chunk += head + 'x'.repeat(LINE_BYTES - head.length - 1) + '\n';
    }
    writeSync(fd, chunk);
  }
  closeSync(fd);
}

async function metric(port: number, name: string, match: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(match));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

function peakRssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'))!;
  return Number(/(\d+)/.exec(line)![1]) * 1024;
}

describe('filelog receiver, a 1 GB file', () => {
  it('reads every line of a 1 GB file with peak RSS under 400 MB', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'filelog-1gb-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'big.log');
    writeBigFile(file);
    const metricsPort = await freePort();
    const config = writeConfig(
      `receivers:
  filelog:
    include: [${file}]
    start_at: beginning
exporters:
  debug: { verbosity: basic, sampling_initial: 1, sampling_thereafter: 1000 }
service:
  telemetry: { metrics: { address: 127.0.0.1:${metricsPort} } }
  pipelines:
    logs: { receivers: [filelog], exporters: [debug] }
`,
      dir,
    );
    const gw = await startGateway(config);
    cleanup.push(() => gw.kill9());
    const deadline = Date.now() + 280_000;
    let accepted = 0;
    while ((accepted = await metric(metricsPort, 'otelcol_receiver_accepted_log_records_total', 'receiver="filelog"')) < LINES) {
      if (Date.now() > deadline) throw new Error(`only ${accepted} of ${LINES} lines after the deadline`);
      await new Promise((r) => setTimeout(r, 500));
    }
    await new Promise((r) => setTimeout(r, 500));
    expect(await metric(metricsPort, 'otelcol_receiver_accepted_log_records_total', 'receiver="filelog"')).toBe(LINES);
    const peak = peakRssBytes(gw.child.pid!);
    console.log(`filelog 1 GB: peak RSS ${(peak / 1024 / 1024).toFixed(0)} MB`);
    expect(peak).toBeLessThan(RSS_BOUND_BYTES);
    await gw.stop();
  }, 300_000);
});
