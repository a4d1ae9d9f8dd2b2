import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/gateway-process.js';
import { DAY_MS, END_MS, expectedIds, sha256, startHarness, type Harness } from './harness.js';

/**
 * Acceptance 2: kill -9 during an export of more than 20,000 executions; `export status` tells
 * the job was interrupted, `export resume` finishes it, and the files hold every execution once.
 */

let h: Harness;
beforeAll(async () => {
  // 5 scenarios × 7 days, one run every 150 s: 20,160 executions; 1200 requests/min paces the export.
  h = await startHarness({ everyMs: 150_000, requestsPerMinute: 1_200 });
});
afterAll(async () => {
  await h?.close();
});

function committedRecords(storage: string): number {
  try {
    const db = new Database(join(storage, 'exports.db'), { readonly: true, fileMustExist: true });
    try {
      const row = db.prepare('SELECT progress FROM export_jobs LIMIT 1').get() as { progress: string } | undefined;
      return row ? (JSON.parse(row.progress) as { records: number }).records : 0;
    } finally {
      db.close();
    }
  } catch {
    return 0;
  }
}

describe('resume after kill -9', () => {
  it('finishes an interrupted export with every execution exactly once', { timeout: 180_000 }, async () => {
    expect(h.api.allExecutions().length).toBeGreaterThanOrEqual(20_000);
    const out = join(h.dir, 'out');
    const from = new Date(END_MS - 7 * DAY_MS).toISOString();
    const to = new Date(END_MS).toISOString();
    // requests_per_minute 1200 paces the ~200 pages over ~10 s, so the kill lands mid-way.
    const args = [CLI, 'export', '--config', h.config, '--from', from, '--to', to, '--format', 'jsonl', '--chunk-records', '3000', '--out', out];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<void>((res) => child.on('exit', () => res()));
    const storage = join(h.dir, 'storage');
    const deadline = Date.now() + 120_000;
    while (committedRecords(storage) < 6_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    await exited;
    const atKill = committedRecords(storage);
    expect(atKill).toBeGreaterThanOrEqual(6_000);
    expect(atKill).toBeLessThan(20_160);

    const list = await h.run(['export', 'list']);
    const job = JSON.parse(list.stdout.trim().split('\n')[0]) as { job: string; state: string; error?: string };
    const status = await h.run(['export', 'status', job.job]);
    const st = JSON.parse(status.stdout) as { state: string; error: string; progress: { records: number } };
    expect(st.state).toBe('failed');
    expect(st.error).toContain('interrupted');
    expect(st.progress.records).toBe(atKill);

    const resumed = await h.run(['export', 'resume', job.job]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.summary!.state).toBe('succeeded');
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { records: number; files: { path: string; records: number; sha256: string }[] };
    const ids: string[] = [];
    for (const f of manifest.files) {
      const lines = readFileSync(join(out, f.path), 'utf8').trim().split('\n');
      expect(lines.length).toBe(f.records);
      expect(sha256(join(out, f.path))).toBe(f.sha256);
      for (const l of lines) ids.push((JSON.parse(l) as Record<string, string>)['make.execution.id']);
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(expectedIds(h.api, END_MS - 7 * DAY_MS, END_MS));
    expect(manifest.records).toBe(ids.length);
  });
});
