import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decompress } from 'fzstd';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createZstdDecompress } from '../../src/compression/zstd.js';
import { CLI } from '../helpers/gateway-process.js';
import { DAY_MS, END_MS, expectedIds, startHarness, type Harness } from './harness.js';

/** Cancel from another process at any time; empty ranges; zstd for text and for Parquet pages. */

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ requestsPerMinute: 120 });
});
afterAll(async () => {
  await h?.close();
});

async function unzstd(buf: Buffer): Promise<string> {
  const d = createZstdDecompress();
  const chunks: Buffer[] = [];
  d.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise((res, rej) => (d.on('end', res), d.on('error', rej)));
  d.end(buf);
  await done;
  return Buffer.concat(chunks).toString('utf8');
}

describe('export edges', () => {
  it('is cancelled by `export cancel` from another process, and resumes when run again', { timeout: 150_000 }, async () => {
    // One run every 10 minutes: ~55 pages at 120 requests/min, so the job runs for ~30 s.
    const slow = await startHarness({ requestsPerMinute: 120, everyMs: 600_000 });
    try {
      await cancelAndResume(slow);
    } finally {
      await slow.close();
    }
  });

  async function cancelAndResume(h: Harness) {
    const out = join(h.dir, 'cancelled');
    const args = ['export', '--config', h.config, '--from', String(END_MS - 7 * DAY_MS), '--to', String(END_MS), '--format', 'jsonl', '--out', out];
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout!.on('data', (d) => (stdout += d));
    const code = new Promise<number>((res) => child.on('exit', (c) => res(c ?? -1)));
    let jobId: string | undefined;
    const deadline = Date.now() + 60_000;
    while (!jobId && Date.now() < deadline) {
      const list = await h.run(['export', 'list']);
      const first = list.stdout.trim() ? (JSON.parse(list.stdout.trim().split('\n')[0]) as { job: string; state: string }) : undefined;
      if (first?.state === 'running') jobId = first.job;
    }
    expect(jobId).toBeDefined();
    const cancel = await h.run(['export', 'cancel', jobId!]);
    expect(cancel.code).toBe(0);
    expect(JSON.parse(cancel.stdout).state).toBe('cancelled');
    expect(await code).toBe(1);
    expect(JSON.parse(stdout.trim()).state).toBe('cancelled');
    const status = JSON.parse((await h.run(['export', 'status', jobId!])).stdout) as { state: string };
    expect(status.state).toBe('cancelled');

    const again = await h.run(args);
    expect(again.code, again.stderr).toBe(0);
    expect(again.summary!.job).toBe(jobId);
    const ids = readFileSync(again.summary!.files[0].path, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as Record<string, string>)['make.execution.id']);
    expect(ids.sort()).toEqual(expectedIds(h.api, END_MS - 7 * DAY_MS, END_MS));
  }

  it('writes one header-only CSV file for a range without executions', async () => {
    const out = join(h.dir, 'empty');
    const r = await h.run(['export', '--from', String(END_MS + DAY_MS), '--to', String(END_MS + 2 * DAY_MS), '--format', 'csv', '--fields', 'time,make.execution.id:id', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.summary!.records).toBe(0);
    expect(r.summary!.files).toHaveLength(1);
    expect(readFileSync(r.summary!.files[0].path, 'utf8')).toBe('time,id\r\n');
  });

  it('compresses jsonl as zstd frames and Parquet pages with zstd', async () => {
    const from = END_MS - 2 * DAY_MS;
    const jsonl = await h.run(['export', '--from', String(from), '--to', String(END_MS), '--compression', 'zstd', '--out', join(h.dir, 'zst')]);
    expect(jsonl.code, jsonl.stderr).toBe(0);
    expect(jsonl.summary!.files[0].path).toMatch(/\.jsonl\.zst$/);
    const lines = (await unzstd(readFileSync(jsonl.summary!.files[0].path))).trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as Record<string, string>)['make.execution.id']).sort()).toEqual(expectedIds(h.api, from, END_MS));

    const pq = await h.run(['export', '--from', String(from), '--to', String(END_MS), '--format', 'parquet', '--compression', 'zstd', '--out', join(h.dir, 'pq-zst')]);
    expect(pq.code, pq.stderr).toBe(0);
    const buf = readFileSync(pq.summary!.files[0].path);
    const file = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
    expect(parquetMetadata(file).row_groups[0].columns[0].meta_data?.codec).toBe('ZSTD');
    // hyparquet reads zstd pages with a decompressor handed in (fzstd, independent of the writer's).
    const rows = (await parquetReadObjects({ file, compressors: { ZSTD: (input: Uint8Array) => decompress(input) } })) as Record<string, unknown>[];
    expect(rows).toHaveLength(expectedIds(h.api, from, END_MS).length);

    const bad = await h.run(['export', '--from', String(from), '--to', String(END_MS), '--format', 'parquet', '--compression', 'gzip', '--out', join(h.dir, 'bad')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('parquet compresses inside the file');
  });
});
