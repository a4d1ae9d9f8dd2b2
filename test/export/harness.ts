import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeMakeApi } from '../fakes/make-api.js';
import { runCli, writeConfig } from '../helpers/gateway-process.js';

/** A strict fake Make API with seeded history, a config that points at it, and a CLI runner. */

export const TOKEN = 'make-token-0123456789abcdef';
/** History ends here: 2026-12-01T00:00:00Z. */
export const END_MS = Date.UTC(2026, 11, 1);
export const DAY_MS = 86_400_000;

export interface ExportSummary {
  job: string;
  state: string;
  records: number;
  files: { path: string; records: number; bytes: number; sha256: string }[];
  error?: string;
}

export interface Harness {
  api: FakeMakeApi;
  dir: string;
  config: string;
  run(args: string[]): Promise<{ code: number; stdout: string; stderr: string; summary?: ExportSummary }>;
  close(): Promise<void>;
}

export async function startHarness(o: { scenarios?: number; days?: number; everyMs?: number; extraYaml?: string; exporters?: string; requestsPerMinute?: number; serviceExtensions?: string[]; serviceYaml?: string } = {}): Promise<Harness> {
  const api = new FakeMakeApi({ token: TOKEN });
  const base = await api.start();
  api.seedHistory({ scenarios: o.scenarios ?? 5, days: o.days ?? 7, everyMs: o.everyMs ?? 2 * 3_600_000, endMs: END_MS });
  const dir = mkdtempSync(join(tmpdir(), 'mog-export-'));
  const config = writeConfig(
    `extensions:
  file_storage:
    directory: ${join(dir, 'storage')}
${o.extraYaml ?? ''}receivers:
  make:
    api_token: ${TOKEN}
    base_url: ${base}
    team_id: 27
    requests_per_minute: ${o.requestsPerMinute ?? 600000}
    storage: file_storage
exporters:
  debug: {}
${o.exporters ?? ''}service:
  extensions: [${(o.serviceExtensions ?? ['file_storage']).join(', ')}]
${o.serviceYaml ?? ''}  pipelines:
    logs:
      receivers: [make]
      exporters: [debug]
`,
    dir,
  );
  return {
    api,
    dir,
    config,
    async run(args) {
      const r = await runCli(args[0] === 'export' ? [...args, '--config', config] : args);
      const last = r.stdout.trim().split('\n').pop();
      let summary: ExportSummary | undefined;
      try {
        summary = last ? (JSON.parse(last) as ExportSummary) : undefined;
      } catch {
        summary = undefined;
      }
      return { ...r, summary };
    },
    async close() {
      await api.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Execution ids the fake holds in [fromMs, toMs) for the scenarios and statuses given. */
export function expectedIds(api: FakeMakeApi, fromMs: number, toMs: number, scenarioIds?: number[], statuses?: number[]): string[] {
  return api
    .allExecutions()
    .filter((e) => {
      const t = Date.parse(e.timestamp);
      return t >= fromMs && t < toMs && (!scenarioIds || scenarioIds.includes(e.scenarioId)) && (!statuses || statuses.includes(e.status));
    })
    .map((e) => e.id)
    .sort();
}
